"""Sandboxed, bounded evaluation of diagram expressions (conditions, scripts, parameters).

SpiffWorkflow's default environment runs task data through plain ``eval``/``exec``, so
a diagram could run ``__import__('os').system(...)``. Every expression of a diagram goes
through :class:`SandboxEnvironment` instead: code is compiled with RestrictedPython
(no names or attributes starting with ``_``, no imports, no ``while`` loops, no ``def``,
``lambda``, ``class`` or ``try``), runs with a small whitelist of builtins, guarded
attribute/item access and writes.

Bounded work. Every evaluation has limits on time, loop steps, the size of what it builds,
memory and the size of its result (:mod:`sopflow.engine.sandbox_limits` holds the numbers). They
are enforced in-process by rewriting the syntax tree rather than by running each evaluation
in a subprocess with resource limits: a diagram evaluates dozens of small expressions per
command, and a fork per evaluation (plus pickling task data both ways) would cost
milliseconds each and is unsafe in threaded web servers, while the guards cost about a
microsecond per operation. The policy below turns ``a ** b``, ``a * b``, ``a << b``,
``a + b``, ``a % b`` and f-strings into calls to helpers that compute the size of the
result *before* building it; ``pow``, ``sum`` and ``math`` are replaced by guarded versions,
``range`` is RestrictedPython's limited range, the padding/joining/replacing methods of
``str``/``bytes`` and ``list.extend`` are checked through ``_getattr_``, loops are counted
through ``_getiter_`` with the deadline checked every 64 steps, and there is no way to
recurse (no functions). So ``10**10**10``, ``math.factorial(10**8)`` and
``'a' * (2 * 10**9)`` are refused in microseconds instead of freezing the server or
allocating gigabytes; :func:`compile_expression` folds the constant parts with the same
guards, so ``sopflow validate`` refuses them before a diagram is published. What a C
builtin does with an already bounded value (``sorted``, ``str`` of a long list) is bounded
by the size caps; steps that run as jobs have, in addition, the worker's memory limit.
A refused evaluation raises :class:`~sopflow.errors.ExpressionRejected`, which fails the
command or job and rolls its transaction back.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import re
from collections.abc import Iterable
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
)
from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment

from sopflow.engine.sandbox_limits import (
    MAX_ITEMS,
    MAX_ITERATIONS,
    SAFE_MATH,
    TIME_LIMIT_SECONDS,
    Budget,
    bounded_pow,
    bounded_sum,
    check_constants,
    check_result,
)
from sopflow.errors import ExpressionRejected, SopflowError
from sopflow.logs import get_logger

log = get_logger(__name__)

__all__ = ["MAX_ITERATIONS", "TIME_LIMIT_SECONDS", "SandboxEnvironment", "compile_expression", "compile_script"]

_EXTRA_BUILTINS = {
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
    "sum": bounded_sum,
    "tuple": tuple,
    "zip": zip,
    "math": SAFE_MATH,
    "pow": bounded_pow,
}
# setattr/delattr are in RestrictedPython's safe set but have no business in a diagram.
_BUILTINS = {
    k: v for k, v in {**safe_builtins, **limited_builtins, **_EXTRA_BUILTINS}.items() if k not in {"setattr", "delattr"}
}


_PYTHON_BUILTINS = frozenset(dir(builtins))
#: binary operators compiled into calls to the bounded helpers of :class:`~sopflow.engine.sandbox_limits.Budget`
_GUARDED_OPS = {ast.Add: "_add_", ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Mod: "_mod_"}


def _call(name: str, args: list[ast.expr], where: ast.AST) -> ast.Call:
    call = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
    return ast.fix_missing_locations(ast.copy_location(call, where))


# What a visit of RestrictingNodeTransformer may return (a node, nodes, or None to drop it).
_Visited = ast.AST | Iterable[ast.AST] | None


class _DiagramPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus: no ``while``, functions, classes or ``try``; bounded operators."""

    def visit_While(self, node: ast.While) -> _Visited:
        self.error(node, "Perulangan 'while' tidak diizinkan dalam ekspresi diagram.")
        return self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> _Visited:
        # str.format can walk attributes ("{0.__class__}") outside the attribute guard
        if node.attr in {"format", "format_map"}:
            self.error(node, "Metode format() tidak diizinkan; gunakan penggabungan teks biasa.")
        return super().visit_Attribute(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> _Visited:
        self.error(node, "Definisi kelas tidak diizinkan dalam ekspresi diagram.")
        return self.generic_visit(node)

    def visit_Lambda(self, node: ast.Lambda) -> _Visited:
        self.error(node, "Ekspresi lambda tidak diizinkan dalam ekspresi diagram.")
        return self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        # a function could recurse without ever passing a loop step: no bound on its work
        self.error(node, "Definisi fungsi (def) tidak diizinkan dalam ekspresi diagram.")
        return node

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Try(self, node: ast.Try) -> ast.AST:
        # a refused operation must end the evaluation, not be caught by the diagram
        self.error(node, "Blok try/except tidak diizinkan dalam ekspresi diagram.")
        return node

    visit_TryStar = visit_Try  # type: ignore[assignment]

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        visited = super().visit_BinOp(node)
        assert isinstance(visited, ast.BinOp)  # RestrictedPython visits an operation's contents in place
        node = visited
        helper = _GUARDED_OPS.get(type(node.op))
        return _call(helper, [node.left, node.right], node) if helper else node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        visited = super().visit_JoinedStr(node)
        assert isinstance(visited, ast.JoinedStr)  # RestrictedPython visits an f-string's contents in place
        return _call("_sized_", [visited], node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        spec = node.format_spec
        if spec is not None:
            parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
            if not all(isinstance(p, ast.Constant) for p in parts):
                self.error(node, "Format f-string yang dihitung (misalnya {x:{lebar}}) tidak diizinkan.")
            elif any(int(n) > MAX_ITEMS for p in parts if isinstance(p, ast.Constant) for n in _digits(str(p.value))):
                self.error(node, f"Lebar format f-string melebihi batas {MAX_ITEMS:,} karakter.")
        node.value = self.visit(node.value)
        return node


def _digits(text: str) -> list[str]:
    return [n for n in "".join(c if c.isdigit() else " " for c in text).split() if n]


@lru_cache(maxsize=2048)
def compile_expression(source: str) -> Any:
    """Compile a diagram expression under the sandbox; raise ExpressionRejected on any violation."""
    result = compile_restricted_eval(source.strip(), "<diagram>", policy=_DiagramPolicy)
    return _code_or_raise(source, result, "eval")


@lru_cache(maxsize=512)
def compile_script(source: str) -> Any:
    """Compile a diagram script under the sandbox; raise ExpressionRejected on any violation."""
    result = compile_restricted_exec(source, "<diagram>", policy=_DiagramPolicy)
    return _code_or_raise(source, result, "exec")


def _code_or_raise(source: str, result: Any, mode: str) -> Any:
    errors = list(result.errors)
    # A Python builtin the sandbox does not offer (getattr, open, exec, ...) can only be an escape attempt.
    forbidden = sorted(n for n in (result.used_names or {}) if n in _PYTHON_BUILTINS and n not in _BUILTINS)
    errors += [f"fungsi bawaan {name!r} tidak tersedia di sandbox" for name in forbidden]
    if not errors:
        try:
            check_constants(source, mode)  # 10**10**10 is refused here, before it is ever run
        except ExpressionRejected as exc:
            errors.append(exc.message)
    if errors or result.code is None:
        detail = "; ".join(_indonesian_compile_error(e) for e in errors) or "tidak dapat dikompilasi"
        raise ExpressionRejected(f"Ekspresi ditolak oleh sandbox: {detail} (ekspresi: {source.strip()[:200]!r})")
    return result.code


#: RestrictedPython's compile messages (English) and how a person reads them
_COMPILE_MESSAGES = (
    (
        re.compile(r'^"(?P<n>[^"]+)" is an invalid variable name because it starts with "_"\.?$'),
        "nama {n!r} tidak diizinkan karena diawali garis bawah",
    ),
    (
        re.compile(r'^"(?P<n>[^"]+)" is an invalid attribute name because it starts with "_"\.?$'),
        "atribut {n!r} tidak diizinkan karena diawali garis bawah",
    ),
    (re.compile(r'^"(?P<n>[^"]+)" is a reserved name\.?$'), "nama {n!r} dicadangkan sistem"),
    (re.compile(r"^SyntaxError: (?P<n>.*?) at statement: (?P<s>.*)$"), "kesalahan penulisan (sintaks) pada {s}"),
    (re.compile(r"^(?P<n>\w+) statements are not allowed\.?$"), "pernyataan {n} tidak diizinkan"),
)
_LINE = re.compile(r"^Line (\d+): (.*)$", re.S)


def _indonesian_compile_error(message: str) -> str:
    """Translate one RestrictedPython compile error for people; unknown ones keep their text after the line."""
    line, text = "", message
    found = _LINE.match(message)
    if found:
        line, text = f"baris {found.group(1)}: ", found.group(2)
    for pattern, template in _COMPILE_MESSAGES:
        matched = pattern.match(text.strip())
        if matched:
            return line + template.format(**matched.groupdict())
    return line + text


def _sandbox_globals(budget: Budget) -> dict[str, Any]:
    return {
        "__builtins__": _BUILTINS,
        "__name__": "diagram",
        "_getattr_": budget.getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": budget.guard_iter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": budget.inplace,
        "_add_": budget.add,
        "_mul_": budget.mul,
        "_pow_": budget.pow,
        "_lshift_": budget.lshift,
        "_mod_": budget.mod,
        "_sized_": budget.sized,
    }


def _is_sandbox_name(name: str) -> bool:
    return name.startswith("_")


class ExpressionFailed(SopflowError):
    """A diagram expression failed on the case's data (unknown name, division by zero, ...).

    The message is Indonesian, for the people who read the failed step; the Python error
    stays in the log and as this exception's cause. Unlike :class:`ExpressionRejected`
    it is the step's own failure: the step is kept in error and can be retried.
    """

    http_status = 422


def _run(code: Any, namespace: dict[str, Any], mode: str) -> Any:
    """Run compiled code; what Python itself stops (memory, recursion) becomes a clean refusal.

    The usual runtime errors of an expression become :class:`ExpressionFailed` with an
    Indonesian message (the English one is logged).
    """
    try:
        return eval(code, namespace) if mode == "eval" else exec(code, namespace)
    except MemoryError:
        raise ExpressionRejected("Ekspresi dihentikan: memori tidak cukup untuk menghitungnya.") from None
    except RecursionError:
        raise ExpressionRejected("Ekspresi dihentikan: struktur terlalu dalam.") from None
    except ImportError as exc:
        log.warning("expression_failed", error=f"{type(exc).__name__}: {exc}")
        raise ExpressionFailed("Ekspresi gagal: impor modul tidak diizinkan dalam ekspresi diagram.") from exc
    except (NameError, ZeroDivisionError, TypeError, KeyError, IndexError, AttributeError, ValueError) as exc:
        log.warning("expression_failed", error=f"{type(exc).__name__}: {exc}")
        raise ExpressionFailed(_indonesian(exc, namespace)) from exc


def _indonesian(exc: Exception, namespace: dict[str, Any]) -> str:
    """Return the Indonesian message of a runtime error of a diagram expression."""
    if isinstance(exc, NameError):
        name = getattr(exc, "name", None) or str(exc)
        known = [n for n in namespace if not _is_sandbox_name(n) and n not in _BUILTINS]
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f"; mungkin maksudnya {close[0]!r}" if close else ""
        return f"Ekspresi gagal: nama {name!r} tidak dikenal (tidak ada dalam data kasus){hint}."
    if isinstance(exc, ZeroDivisionError):
        return "Ekspresi gagal: pembagian dengan nol."
    if isinstance(exc, KeyError):
        return f"Ekspresi gagal: kunci {exc.args[0] if exc.args else ''!r} tidak ada dalam data."
    if isinstance(exc, IndexError):
        return "Ekspresi gagal: nomor urut (indeks) di luar panjang daftar."
    if isinstance(exc, AttributeError):
        return f"Ekspresi gagal: atribut {getattr(exc, 'name', None) or '?'!r} tidak ada pada nilai tersebut."
    if isinstance(exc, TypeError):
        return "Ekspresi gagal: jenis nilai tidak cocok untuk operasi ini (misalnya teks dijumlahkan dengan angka)."
    return "Ekspresi gagal: nilai tidak sah untuk operasi ini (misalnya teks yang bukan angka diubah menjadi angka)."


class SandboxEnvironment(TaskDataEnvironment):  # type: ignore[misc]  # SpiffWorkflow ships no types
    """A SpiffWorkflow script environment that runs everything under the sandbox, within the limits."""

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        """Evaluate ``expression`` against task data ``context``; the data is not modified."""
        code = compile_expression(expression)
        namespace = _sandbox_globals(Budget())
        namespace.update(external_context or {})
        namespace.update(context)
        return check_result(_run(code, namespace, "eval"))

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        """Run ``script`` with task data ``context``; new or changed variables are written back."""
        code = compile_script(script)
        namespace = _sandbox_globals(Budget())
        namespace.update(external_context or {})
        namespace.update(context)
        _run(code, namespace, "exec")
        written = {
            name: value
            for name, value in namespace.items()
            if not (_is_sandbox_name(name) or callable(value) or name in (external_context or {}))
        }
        check_result([v for n, v in written.items() if not _unchanged(context, n, v)])
        for name in list(context):
            if name not in namespace:
                del context[name]
        context.update(written)
        return True


def _unchanged(context: dict[str, Any], name: str, value: Any) -> bool:
    """An immutable value the script did not replace cannot have grown."""
    return context.get(name, _MISSING) is value and isinstance(value, str | bytes | int | float | bool | type(None))


_MISSING = object()
