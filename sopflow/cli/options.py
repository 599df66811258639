"""Options and arguments that several ``sopflow`` commands share, defined once.

Each is a decorator (``@actor_option()``, ``@case_argument``) so a command's signature reads
like its usage line and a help text is written in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from sopflow.cli.context import CliContext

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_PROCESS = "monev_kinerja"


def _remember_data_dir(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    ctx.ensure_object(CliContext).use_data_dir(value)


def data_dir_option(func: F) -> F:
    """``--data-dir DIR``: the data folder, stored in the call's :class:`CliContext` (not passed to the command)."""
    return click.option(
        "--data-dir",
        metavar="DIR",
        expose_value=False,
        callback=_remember_data_dir,
        help="folder data (bawaan ./var atau SOPFLOW_DATA_DIR)",
    )(func)


def actor_option(default: str | None = None) -> Callable[[F], F]:
    """``--actor USERNAME``: who runs the command (recorded in the audit trail); required without a default."""
    return click.option(
        "--actor",
        required=default is None,
        default=default,
        show_default=default is not None,
        help="pengguna yang menjalankan perintah (tercatat di jejak audit)",
    )


def process_option(func: F) -> F:
    """``--process ID``: the process id, ``monev_kinerja`` by default."""
    return click.option("--process", default=DEFAULT_PROCESS, show_default=True, help="id proses")(func)


def case_filter_option(func: F) -> F:
    """``--case CASE_ID``: limit the command to one case (all cases when omitted)."""
    return click.option("--case", metavar="CASE_ID", help="hanya kasus ini (bawaan: semua kasus)")(func)


def out_option(default: str | None = None, help_text: str = "berkas tujuan") -> Callable[[F], F]:
    """``--out PATH``: where the command writes its result; required without a default."""
    return click.option(
        "--out", required=default is None, default=default, show_default=default is not None, help=help_text
    )


def json_data_option(help_text: str) -> Callable[[F], F]:
    """``--data JSON``: form data or a correction, as a JSON text."""
    return click.option("--data", metavar="JSON", help=help_text)


case_argument = click.argument("case", metavar="CASE_ID")
task_argument = click.argument("task", metavar="TASK_ID")
username_argument = click.argument("username")


class ManyValuesOption(click.Option):
    """An option that takes every value up to the next option, like argparse's ``nargs="*"`` (``--keys a b``).

    click options take one value per occurrence; this keeps the established ``--keys a b`` form
    working (``--keys a --keys b`` works too). The values arrive as a tuple (``multiple=True``).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["multiple"] = True
        super().__init__(*args, **kwargs)

    def add_to_parser(self, parser: Any, ctx: click.Context) -> None:
        """Register the option, then let it also consume the following plain values."""
        super().add_to_parser(parser, ctx)
        for name in self.opts:
            option = parser._long_opt.get(name) or parser._short_opt.get(name)
            option.process = _greedy(option.process)


def _greedy(process: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    def take_all(value: Any, state: Any) -> None:
        process(value, state)
        while state.rargs and not state.rargs[0].startswith("-"):
            process(state.rargs.pop(0), state)

    return take_all
