"""Read-only queries the CLI and the web app show: inbox, case list, case detail, dashboard.

Public surface: :mod:`sopflow.queries.inbox` (tasks, versions, people, documents of a user),
:mod:`cases` (one case: steps, documents, history rows), :mod:`case_list` and :mod:`dashboard`.
They return plain dicts and dataclasses, never ORM rows.
"""
