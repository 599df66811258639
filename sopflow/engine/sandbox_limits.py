"""The bounds of one diagram-expression evaluation and the guarded operations that enforce them.

Every operation of the sandbox language that can make a value much larger than its inputs
(``**``, ``*``, ``<<``, ``+`` on sequences, ``%`` formatting, f-strings, ``pow``, ``sum``,
``math.factorial``/``comb``/``perm``/``prod``/``lcm`` and the padding/joining methods of
``str``) is compiled into a call to a helper here that computes the size of the result
*before* it is built and refuses past the caps below. Loops are counted (and the deadline
checked) on every step. Whatever an evaluation builds is charged to a per-evaluation memory
budget, and its result is measured before it reaches task data. :func:`check_constants`
folds the constant parts of an expression at compile time with the same helpers, so
``sopflow validate`` refuses ``10**10**10`` before a diagram is published.
"""

from __future__ import annotations

import ast
import math
import operator
import re
import time
import types
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

from RestrictedPython.Guards import safer_getattr
from RestrictedPython.Limits import limited_range

from sopflow.errors import ExpressionRejected

#: Upper bound of loop steps (comprehension or ``for`` items) in one evaluation.
MAX_ITERATIONS = 1_000_000
#: Wall-clock budget of one evaluation, in seconds.
TIME_LIMIT_SECONDS = 5.0
#: Largest string, bytes, list or tuple one operation may build (characters or items).
MAX_ITEMS = 1_000_000
#: Largest integer one operation may build, in bits (about 30,000 decimal digits).
MAX_INT_BITS = 100_000
#: Estimated bytes all guarded operations of one evaluation may build together.
MAX_MEMORY_BYTES = 256 * 1024 * 1024
#: Size of an evaluation's result (characters of strings plus items of containers, nested).
MAX_RESULT_UNITS = 2_000_000

_PREFIX = "Ekspresi dihentikan:"
_FORMAT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_SPEC_NUMBER = re.compile(r"\d+")
_PADDING = frozenset({"center", "ljust", "rjust", "zfill"})
_BLOCKED_METHODS = frozenset({"translate", "maketrans"})


def _fmt(number: float) -> str:
    return f"{number:,.0f}".replace(",", ".")


def _refuse(what: str, limit: int, unit: str) -> ExpressionRejected:
    return ExpressionRejected(f"{_PREFIX} {what} melebihi batas {_fmt(limit)} {unit}.")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_items(count: int, what: str) -> None:
    if count > MAX_ITEMS:
        raise _refuse(what, MAX_ITEMS, "karakter/elemen")


def _check_bits(bits: float, what: str) -> None:
    if bits > MAX_INT_BITS:
        raise _refuse(what, MAX_INT_BITS, "bit")


def _nbytes(value: object, count: int) -> int:
    return count if isinstance(value, str | bytes) else 8 * count


def bounded_pow(base: Any, exp: Any, mod: Any = None) -> Any:
    """``pow``/``**`` that refuses an integer result larger than :data:`MAX_INT_BITS`."""
    if mod is None and _is_int(base) and _is_int(exp) and exp > 0 and abs(base) > 1:
        _check_bits(base.bit_length() * exp, "hasil perpangkatan")
    return pow(base, exp) if mod is None else pow(base, exp, mod)


def _lgamma_bits(n: int) -> float:
    return math.lgamma(n + 1) / math.log(2)


def _factorial(n: Any) -> int:
    if _is_int(n) and n > 2:
        _check_bits(_lgamma_bits(n), "hasil faktorial")
    return math.factorial(n)


def _comb(n: Any, k: Any) -> int:
    if _is_int(n) and _is_int(k) and 0 <= k <= n:
        _check_bits(_lgamma_bits(n) - _lgamma_bits(k) - _lgamma_bits(n - k), "hasil kombinasi")
    return math.comb(n, k)


def _perm(n: Any, k: Any = None) -> int:
    if _is_int(n) and (k is None or (_is_int(k) and 0 <= k <= n)):
        _check_bits(_lgamma_bits(n) - _lgamma_bits(n - (n if k is None else k)), "hasil permutasi")
    return math.perm(n, k)


def _prod(iterable: Iterable[Any], *, start: Any = 1) -> Any:
    result = start
    for item in iterable:
        result = _mul(result, item)
    return result


def _lcm(*numbers: Any) -> int:
    _check_bits(sum(n.bit_length() for n in numbers if _is_int(n)), "hasil KPK")
    return math.lcm(*numbers)


def _make_math() -> types.SimpleNamespace:
    names = {name: getattr(math, name) for name in dir(math) if not name.startswith("_")}
    names.update(factorial=_factorial, comb=_comb, perm=_perm, prod=_prod, lcm=_lcm, pow=math.pow)
    return types.SimpleNamespace(**names)


#: The ``math`` the sandbox offers: the real module with the unbounded integer functions guarded.
SAFE_MATH = _make_math()


def bounded_sum(iterable: Iterable[Any], start: Any = 0) -> Any:
    """``sum`` that refuses to concatenate sequences past :data:`MAX_ITEMS`."""
    items = list(iterable)
    if isinstance(start, list | tuple):
        _check_items(len(start) + sum(len(i) for i in items if isinstance(i, list | tuple)), "hasil penjumlahan daftar")
    return sum(items, start)


def _mul(left: Any, right: Any) -> Any:
    if _is_int(left) and _is_int(right):
        if left and right:
            _check_bits(left.bit_length() + right.bit_length(), "hasil perkalian")
    elif isinstance(left, str | bytes | list | tuple) and _is_int(right):
        _check_items(len(left) * max(right, 0), "hasil pengulangan")
    elif isinstance(right, str | bytes | list | tuple) and _is_int(left):
        _check_items(len(right) * max(left, 0), "hasil pengulangan")
    return left * right


def _result_size(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple) else 0


class Budget:
    """The limits of one evaluation: loop steps, deadline, memory built by guarded operations."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + TIME_LIMIT_SECONDS
        self.steps = 0
        self.charged = 0

    def tick(self) -> None:
        """Count one loop step; refuse past the step limit or the deadline."""
        self.steps += 1
        if self.steps > MAX_ITERATIONS:
            raise ExpressionRejected(f"{_PREFIX} jumlah perulangan melebihi batas {_fmt(MAX_ITERATIONS)} langkah.")
        if not self.steps & 63:
            self.check_time()

    def check_time(self) -> None:
        """Refuse once the evaluation has run longer than :data:`TIME_LIMIT_SECONDS`."""
        if time.monotonic() > self.deadline:
            raise ExpressionRejected(f"{_PREFIX} melebihi batas waktu {_fmt(TIME_LIMIT_SECONDS)} detik.")

    def charge(self, value: Any, count: int | None = None) -> Any:
        """Charge the size of a value just built to the memory budget; return the value."""
        count = _result_size(value) if count is None else count
        _check_items(count, "hasil operasi")
        self.charged += _nbytes(value, count)
        if self.charged > MAX_MEMORY_BYTES:
            raise _refuse("memori yang dipakai", MAX_MEMORY_BYTES // (1024 * 1024), "MB")
        self.check_time()
        return value

    def guard_iter(self, obj: Iterable[Any]) -> Iterator[Any]:
        """RestrictedPython's ``_getiter_``: every step of a loop or comprehension is counted."""
        for item in obj:
            self.tick()
            yield item

    # -- operators (the policy rewrites ``a OP b`` into ``_OP_(a, b)``) ---------------------------
    def add(self, left: Any, right: Any) -> Any:
        """``+`` with the size of concatenated sequences checked first."""
        sequences = isinstance(left, str | bytes | list | tuple) and isinstance(right, str | bytes | list | tuple)
        if sequences:
            _check_items(len(left) + len(right), "hasil penggabungan")
        result = left + right  # mixed kinds (text + list) raise TypeError here, as in Python
        return self.charge(result) if sequences else result

    def mul(self, left: Any, right: Any) -> Any:
        """``*`` with integer size and sequence repetition checked first."""
        return self.charge(_mul(left, right))

    def pow(self, base: Any, exp: Any) -> Any:
        """``**`` with the size of an integer result checked first."""
        self.check_time()
        return bounded_pow(base, exp)

    def lshift(self, left: Any, right: Any) -> Any:
        """``<<`` with the size of the integer result checked first."""
        if _is_int(left) and _is_int(right) and left:
            _check_bits(left.bit_length() + right, "hasil geser bit")
        return left << right

    def mod(self, left: Any, right: Any) -> Any:
        """``%``: for text formatting, widths and precisions are checked before formatting."""
        if isinstance(left, str | bytes):
            text = left.decode("latin-1") if isinstance(left, bytes) else left
            for width, precision in _FORMAT_FIELD.findall(text):
                if "*" in (width, precision):
                    raise ExpressionRejected(f"{_PREFIX} lebar format '*' tidak diizinkan.")
                _check_items(max(int(width or 0), int(precision or 0)), "lebar format")
            return self.charge(left % right)
        return left % right

    def inplace(self, op: str, left: Any, right: Any) -> Any:
        """RestrictedPython's ``_inplacevar_`` (``x += 1``) through the same guards."""
        operations: dict[str, Callable[[Any, Any], Any]] = {
            "+=": self.add,
            "-=": operator.sub,
            "*=": self.mul,
            "/=": operator.truediv,
            "//=": operator.floordiv,
            "%=": self.mod,
        }
        if op not in operations:
            raise ExpressionRejected(f"Operator {op} tidak diizinkan dalam ekspresi diagram.")
        return operations[op](left, right)

    def sized(self, value: Any) -> Any:
        """Check and charge a value built without a pre-check (an f-string)."""
        return self.charge(value)

    # -- attribute access -------------------------------------------------------------------------
    def getattr(self, obj: Any, name: str, *default: Any) -> Any:
        """RestrictedPython's ``_getattr_`` plus size checks on the growing methods of text and lists."""
        # RestrictedPython leaves safer_getattr unannotated
        value = safer_getattr(obj, name, *default)  # type: ignore[no-untyped-call]
        if isinstance(obj, str | bytes):
            if name in _BLOCKED_METHODS:
                raise ExpressionRejected(f"Metode {name}() tidak diizinkan dalam ekspresi diagram.")
            if name in _PADDING or name in {"expandtabs", "replace", "join"}:
                return partial(self._text_method, obj, name)
        if isinstance(obj, list) and name == "extend":
            return partial(self._extend, obj)
        return value

    def _text_method(self, text: str | bytes, name: str, *args: Any) -> Any:
        if name in _PADDING and args and _is_int(args[0]):
            _check_items(args[0], "lebar teks")
        elif name == "expandtabs":
            tabsize = args[0] if args and _is_int(args[0]) else 8
            tab = "\t" if isinstance(text, str) else b"\t"
            _check_items(len(text) + text.count(tab) * max(tabsize, 0), "hasil expandtabs")  # type: ignore[arg-type]
        elif name == "replace" and len(args) >= 2:
            old, new = args[0], args[1]
            hits = len(text) + 1 if not old else text.count(old)
            if len(args) > 2 and _is_int(args[2]) and args[2] >= 0:
                hits = min(hits, args[2])
            _check_items(len(text) + hits * max(len(new) - len(old), 0), "hasil replace")
        elif name == "join" and args:
            parts = list(args[0])
            _check_items(sum(len(p) for p in parts) + len(text) * max(len(parts) - 1, 0), "hasil join")
            args = (parts, *args[1:])
        return self.charge(getattr(text, name)(*args))

    def _extend(self, target: list[Any], items: Iterable[Any]) -> None:
        items = list(items)
        _check_items(len(target) + len(items), "daftar")
        self.charge(items)
        target.extend(items)


def measure(value: Any, limit: int = MAX_RESULT_UNITS) -> int:
    """Return the size of ``value`` (characters plus items, nested), stopping past ``limit``."""
    total, stack, seen = 0, [value], set()
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item)
        elif _is_int(item):
            total += item.bit_length() // 64
        elif isinstance(item, dict | list | tuple | set | frozenset) and id(item) not in seen:
            seen.add(id(item))
            total += len(item)
            stack.extend(item.items() if isinstance(item, dict) else item)
    return total


def check_result(value: Any) -> Any:
    """Refuse a result larger than :data:`MAX_RESULT_UNITS`; return it otherwise."""
    if measure(value) > MAX_RESULT_UNITS:
        raise _refuse("ukuran hasil", MAX_RESULT_UNITS, "karakter/elemen")
    return value


# -- validation: fold constant sub-expressions with the same guards ----------------------------------
class _NotConstant(Exception):
    pass


_FOLD_OPS: dict[type, Callable[[Budget, Any, Any], Any]] = {
    ast.Add: Budget.add,
    ast.Mult: Budget.mul,
    ast.Pow: Budget.pow,
    ast.LShift: Budget.lshift,
    ast.Mod: Budget.mod,
    ast.Sub: lambda _b, a, c: a - c,
    ast.Div: lambda _b, a, c: a / c,
    ast.FloorDiv: lambda _b, a, c: a // c,
    ast.RShift: lambda _b, a, c: a >> c,
}
_FOLD_CALLS: dict[str, Callable[..., Any]] = {
    "pow": bounded_pow,
    "sum": bounded_sum,
    "range": limited_range,
    "math.factorial": _factorial,
    "math.comb": _comb,
    "math.perm": _perm,
    "math.prod": _prod,
    "math.lcm": _lcm,
}


def check_constants(source: str, mode: str) -> None:
    """Evaluate every constant sub-expression of ``source`` under the guards.

    Raises ExpressionRejected when one would exceed a limit (``10**10**10``,
    ``math.factorial(10**8)``, ``'a' * (2 * 10**9)``); other errors are left to run time.
    """
    try:
        tree = ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return  # RestrictedPython reports it
    budget = Budget()
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp | ast.Call):
            try:
                _fold(node, budget)
            except _NotConstant:
                continue
            except ExpressionRejected as exc:
                detail = exc.message.removeprefix(_PREFIX).strip()
                raise ExpressionRejected(f"ekspresi konstan: {detail}") from None
            except Exception:  # ZeroDivisionError and the like surface at run time
                continue


def _fold(node: ast.AST, budget: Budget) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str | bytes | complex):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _fold(node.operand, budget)
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.Tuple | ast.List):
        items = [_fold(e, budget) for e in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    if isinstance(node, ast.BinOp) and type(node.op) in _FOLD_OPS:
        return _FOLD_OPS[type(node.op)](budget, _fold(node.left, budget), _fold(node.right, budget))
    if isinstance(node, ast.Call) and not node.keywords:
        func = _FOLD_CALLS.get(ast.unparse(node.func))
        if func is not None:
            return func(*[_fold(a, budget) for a in node.args])
    raise _NotConstant
