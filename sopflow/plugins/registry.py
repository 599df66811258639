"""Registry of service-task handlers, looked up by BPMN operator name.

Extension point: a handler (:class:`sopflow.plugins.contract.Handler`) is registered under
the operator name that a BPMN service task (``spiffworkflow:serviceTaskOperator id="..."``)
or a form schema (``"x-sopflow-validate": "..."``) names.

Discovery: every installed distribution may declare its handlers as entry points in
the group ``sopflow.handlers`` (``operator = "package.module:function"``; sopflow's own
are in ``pyproject.toml``). A handler's module is imported the first time its operator
is looked up, so starting the engine loads no document or plotting library. A module
that uses :func:`register` and is imported by other means (tests, a plug-in's own
``__init__``) works too. Adding a handler never changes the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.metadata import EntryPoint, entry_points

from sopflow.plugins.contract import Handler

_HANDLERS: dict[str, Handler] = {}


def register(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of operator ``name``."""

    def decorate(func: Handler) -> Handler:
        if name in _HANDLERS and _HANDLERS[name] is not func:
            raise ValueError(f"handler {name!r} is already registered")
        _HANDLERS[name] = func
        return func

    return decorate


ENTRY_POINT_GROUP = "sopflow.handlers"


def get(name: str) -> Handler:
    """Return the handler of operator ``name``, importing its module on first use; KeyError names the known ones."""
    handler = _HANDLERS.get(name)
    if handler is not None:
        return handler
    point = _entry_points().get(name)
    if point is None:
        known = ", ".join(names()) or "(none)"
        raise KeyError(f"no handler registered as {name!r}; registered: {known}")
    loaded = point.load()
    # the module registers itself when imported; an entry point to a plain function is registered here
    return _HANDLERS.setdefault(name, loaded)


def names() -> list[str]:
    """Return the sorted operator names of all known handlers (registered or declared as entry points)."""
    return sorted(set(_HANDLERS) | set(_entry_points()))


@cache
def _entry_points() -> dict[str, EntryPoint]:
    # read once per process: installing a plug-in takes a restart, as any Python package does
    return {point.name: point for point in entry_points(group=ENTRY_POINT_GROUP)}
