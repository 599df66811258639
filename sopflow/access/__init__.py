"""Who may do what: users, API tokens, people as documents print them, and the authorization rules.

Public surface: :mod:`sopflow.access.authz` (every permission check, in one place),
:mod:`case_access` (which cases a user sees), :mod:`users` (accounts and passwords),
:mod:`tokens` (API bearer tokens) and :mod:`people` (read-only people for handlers).
"""
