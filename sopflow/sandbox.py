"""Sandboxed evaluation of diagram expressions (conditions, scripts, parameters).

SpiffWorkflow's default environment runs task data through plain ``eval``/``exec``, so
a diagram could run ``__import__('os').system(...)``. Every expression of a diagram goes
through :class:`SandboxEnvironment` instead: code is compiled with RestrictedPython
(no names or attributes starting with ``_``, no imports, no ``while`` loops), runs with
a small whitelist of builtins, guarded attribute/item access and writes, and an
iteration budget plus a wall-clock deadline checked on every loop step.
"""

from __future__ import annotations

import ast
import builtins
import math
import time
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from RestrictedPython import (
    RestrictingNodeTransformer,
    compile_restricted_eval,
    compile_restricted_exec,
    limited_builtins,
    safe_builtins,
)
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment

from .errors import ExpressionRejected

#: Upper bound of loop steps (comprehension or ``for`` items) in one evaluation.
MAX_ITERATIONS = 1_000_000
#: Wall-clock budget of one evaluation, in seconds.
TIME_LIMIT_SECONDS = 5.0

_EXTRA_BUILTINS = {
    name: obj
    for name, obj in {
        "all": all,
        "any": any,
        "dict": dict,
        "enumerate": enumerate,
        "filter": filter,
        "list": list,
        "map": map,
        "max": max,
        "min": min,
        "reversed": reversed,
        "set": set,
        "frozenset": frozenset,
        "sorted": sorted,
        "sum": sum,
        "tuple": tuple,
        "zip": zip,
        "math": math,
    }.items()
}
# setattr/delattr are in RestrictedPython's safe set but have no business in a diagram.
_BUILTINS = {
    k: v for k, v in {**safe_builtins, **limited_builtins, **_EXTRA_BUILTINS}.items() if k not in {"setattr", "delattr"}
}


_PYTHON_BUILTINS = frozenset(dir(builtins))


class _DiagramPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus: no ``while`` (unbounded), no function or class definitions."""

    def visit_While(self, node: ast.While) -> ast.AST:
        self.error(node, "Perulangan 'while' tidak diizinkan dalam ekspresi diagram.")
        return self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        # str.format can walk attributes ("{0.__class__}") outside the attribute guard
        if node.attr in {"format", "format_map"}:
            self.error(node, "Metode format() tidak diizinkan; gunakan penggabungan teks biasa.")
        return super().visit_Attribute(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "Definisi kelas tidak diizinkan dalam ekspresi diagram.")
        return self.generic_visit(node)

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        self.error(node, "Ekspresi lambda tidak diizinkan dalam ekspresi diagram.")
        return self.generic_visit(node)


@lru_cache(maxsize=2048)
def compile_expression(source: str) -> Any:
    """Compile a diagram expression under the sandbox; raise ExpressionRejected on any violation."""
    result = compile_restricted_eval(source.strip(), "<diagram>", policy=_DiagramPolicy)
    return _code_or_raise(source, result)


@lru_cache(maxsize=512)
def compile_script(source: str) -> Any:
    """Compile a diagram script under the sandbox; raise ExpressionRejected on any violation."""
    result = compile_restricted_exec(source, "<diagram>", policy=_DiagramPolicy)
    return _code_or_raise(source, result)


def _code_or_raise(source: str, result: Any) -> Any:
    errors = list(result.errors)
    # A Python builtin the sandbox does not offer (getattr, open, exec, ...) can only be an escape attempt.
    forbidden = sorted(n for n in (result.used_names or {}) if n in _PYTHON_BUILTINS and n not in _BUILTINS)
    errors += [f"fungsi bawaan {name!r} tidak tersedia di sandbox" for name in forbidden]
    if errors or result.code is None:
        detail = "; ".join(errors) or "tidak dapat dikompilasi"
        raise ExpressionRejected(f"Ekspresi ditolak oleh sandbox: {detail} (ekspresi: {source.strip()!r})")
    return result.code


class _Budget:
    """Counts loop steps and watches the deadline of one evaluation."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + TIME_LIMIT_SECONDS
        self.steps = 0

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_ITERATIONS:
            raise ExpressionRejected("Ekspresi dihentikan: jumlah perulangan melebihi batas.")
        if self.steps % 1024 == 0 and time.monotonic() > self.deadline:
            raise ExpressionRejected("Ekspresi dihentikan: melebihi batas waktu.")

    def guard_iter(self, obj: Iterable[Any]) -> Iterator[Any]:
        for item in obj:
            self.tick()
            yield item


def _inplace(op: str, left: Any, right: Any) -> Any:
    operations = {
        "+=": lambda a, b: a + b,
        "-=": lambda a, b: a - b,
        "*=": lambda a, b: a * b,
        "/=": lambda a, b: a / b,
        "//=": lambda a, b: a // b,
        "%=": lambda a, b: a % b,
    }
    if op not in operations:
        raise ExpressionRejected(f"Operator {op} tidak diizinkan dalam ekspresi diagram.")
    return operations[op](left, right)


def _sandbox_globals() -> dict[str, Any]:
    budget = _Budget()
    return {
        "__builtins__": _BUILTINS,
        "__name__": "diagram",
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": budget.guard_iter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": _inplace,
    }


def _is_sandbox_name(name: str) -> bool:
    return name.startswith("_")


class SandboxEnvironment(TaskDataEnvironment):
    """A SpiffWorkflow script environment that runs everything under the sandbox."""

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict | None = None) -> Any:
        """Evaluate ``expression`` against task data ``context``; the data is not modified."""
        code = compile_expression(expression)
        namespace = _sandbox_globals()
        namespace.update(external_context or {})
        namespace.update(context)
        return eval(code, namespace)

    def execute(self, script: str, context: dict[str, Any], external_context: dict | None = None) -> bool:
        """Run ``script`` with task data ``context``; new or changed variables are written back."""
        code = compile_script(script)
        namespace = _sandbox_globals()
        namespace.update(external_context or {})
        namespace.update(context)
        exec(code, namespace)
        for name in list(context):
            if name not in namespace:
                del context[name]
        for name, value in namespace.items():
            if _is_sandbox_name(name) or callable(value) or name in (external_context or {}):
                continue
            context[name] = value
        return True
