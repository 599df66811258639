"""The ``sopflow`` command line: one click group, the engine's commands, one reading of the configuration.

``sopflow [--data-dir DIR] COMMAND ...``. Groups: ``db``, ``users``, ``process``, ``case``,
``audit``, ``archive``, ``jobs``; top-level commands are about the installation (``validate``,
``demo``, ``new-sop``, ``sop-doc``, ``worker``, ``scheduler``, ``tick``, ``escalate``).
``webapp.cli`` adds ``serve`` (it needs Flask, which sopflow never imports) and is the console
script. Every command calls the same engine commands and queries as the web app; the settings
are read once per call, by :class:`~sopflow.cli.context.CliContext`.

Exit status: 0 success, 1 a sopflow error (its message printed as ``Galat: ...``), 2 usage error.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from sopflow.cli.archive import archive_group
from sopflow.cli.audit import audit_group
from sopflow.cli.case import case_group
from sopflow.cli.context import CliContext
from sopflow.cli.db import db_group
from sopflow.cli.installation import demo, new_sop_command, validate
from sopflow.cli.jobs import escalate, jobs_group, scheduler, tick, worker
from sopflow.cli.options import data_dir_option
from sopflow.cli.process import process_group, sop_doc
from sopflow.cli.users import users_group
from sopflow.errors import InvalidForm, InvalidProcess, SopflowError

__all__ = ["CliContext", "cli", "main"]


@click.group(
    "sopflow",
    help="Menjalankan SOP sebagai proses BPMN.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@data_dir_option
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Root group: make the call's :class:`CliContext` (``--data-dir`` is already in it) and close it at the end."""
    ctx.call_on_close(ctx.ensure_object(CliContext).close)


for _command in (
    validate,
    demo,
    new_sop_command,
    sop_doc,
    worker,
    scheduler,
    tick,
    escalate,
    db_group,
    users_group,
    process_group,
    case_group,
    audit_group,
    archive_group,
    jobs_group,
):
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on ``argv`` (default ``sys.argv[1:]``); return the exit status instead of exiting.

    A SopflowError is printed as ``Galat: <message>`` (an invalid form adds one line per field,
    an invalid process prints its problems) and gives 1; a usage error prints click's usage
    message and gives 2.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        status = cli.main(args, prog_name="sopflow", standalone_mode=False)
    except click.ClickException as exc:  # UsageError (2) and the like: click's own message
        exc.show()
        return exc.exit_code
    except click.Abort:
        print("Dibatalkan.", file=sys.stderr)
        return 1
    except InvalidForm as exc:
        print(f"Galat: {exc.message}", file=sys.stderr)
        for err in exc.errors:
            print(f"  - {err.get('field') or '(formulir)'}: {err['message']}", file=sys.stderr)
        return 1
    except InvalidProcess as exc:
        print(exc.message, file=sys.stderr)
        return 1
    except SopflowError as exc:
        print(f"Galat: {exc.message}", file=sys.stderr)
        return 1
    return status if isinstance(status, int) else 0
