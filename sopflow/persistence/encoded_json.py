"""Binding a JSON column's value as text the caller encoded already, so it is not encoded twice.

The audit log encodes each event's data once (to make it JSON-safe and to hash it); the JSON
column type would encode that object again on insert. :func:`encoded_json` wraps a text
bind parameter instead: SQLite stores the text as it is (its JSON columns are text), and
PostgreSQL casts it to ``jsonb``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from sopflow.persistence.models import JsonType


class encoded_json(FunctionElement[Any]):
    """``encoded_json("name")``: the JSON text of bind parameter ``name`` as a JSON column value."""

    type = JsonType
    inherit_cache = True

    def __init__(self, name: str) -> None:
        super().__init__(bindparam(name, type_=Text))


@compiles(encoded_json)
def _as_text(element: encoded_json, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(encoded_json, "postgresql")
def _as_jsonb(element: encoded_json, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS JSONB)"
