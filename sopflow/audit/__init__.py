"""The audit trail: hash-chained events, anchoring, checkpoints, history, evidence and replay.

Public surface: :class:`sopflow.audit.records.AuditLog` (appending events), :mod:`chain`
(the hash of an event), :mod:`anchor` and :mod:`checkpoint` (tail truncation detected, signed
checkpoints), :mod:`verify` (checking the chain), :mod:`history` and :mod:`timeline` (reading a
case's events), :mod:`evidence` (the offline bundle) and :mod:`replay` (re-executing a case).
"""
