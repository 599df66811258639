"""The sopflow web app: inbox, task pages, cases, overview (HTML) and the REST API blueprint.

:func:`create_app` (in :mod:`webapp.app`) is the only place where things are wired. It is
loaded on first use: the ``sopflow`` console command lives in :mod:`webapp.cli`, and a
``sopflow tick`` run by cron, a worker or a migration must not pay for importing Flask
and every view first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from webapp.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from webapp.app import create_app

        return create_app
    raise AttributeError(f"module 'webapp' has no attribute {name!r}")
