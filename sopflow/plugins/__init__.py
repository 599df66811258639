"""Plug-ins: the handler contract, the handler registry, and SOPs shipped as packages.

Public surface for handler authors: :class:`HandlerContext`, :class:`HandlerError`,
:class:`FileAccess`, :class:`People`, :class:`Person`, :class:`Handler` (the contract,
:mod:`sopflow.plugins.contract`) and :func:`register` (:mod:`sopflow.plugins.registry`, which
also finds handlers through the ``sopflow.handlers`` entry points). :mod:`process_catalog` finds
processes through ``sopflow.processes``; :mod:`scaffold` writes a new SOP package
(``sopflow new-sop``). Importing this package loads neither the database layer nor SpiffWorkflow.
"""

from sopflow.plugins.contract import (
    FileAccess,
    Handler,
    HandlerContext,
    HandlerError,
    NoPeople,
    People,
    Person,
)
from sopflow.plugins.registry import register

__all__ = [
    "FileAccess",
    "Handler",
    "HandlerContext",
    "HandlerError",
    "NoPeople",
    "People",
    "Person",
    "register",
]
