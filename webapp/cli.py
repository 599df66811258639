"""The ``sopflow`` console command: the engine's CLI (:mod:`sopflow.cli`) plus ``serve``, which needs the web app."""

from __future__ import annotations

from collections.abc import Sequence

import click

from sopflow.cli import CliContext, cli
from sopflow.cli import main as engine_main
from sopflow.cli.options import data_dir_option


@click.command(
    "serve",
    short_help="jalankan aplikasi web",
    help="Jalankan aplikasi web sopflow (werkzeug; produksi memakai gunicorn webapp.wsgi:app).",
)
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True, help="alamat yang didengarkan")
@click.option("--port", type=int, default=5000, show_default=True, help="port yang didengarkan")
@click.option(
    "--scheduler-interval",
    type=float,
    default=30.0,
    show_default=True,
    help="detik antar putaran penjadwal (mode tertanam)",
)
@click.pass_obj
def serve(state: CliContext, host: str, port: int, scheduler_interval: float) -> int:
    """Serve the web app (werkzeug; production uses gunicorn ``webapp.wsgi:app``).

    Without ``BROKER_URL`` (embedded mode) jobs run in-process and a scheduler thread runs
    the scheduler round beside the server; with a broker, ``sopflow worker`` and
    ``sopflow scheduler`` do that work and this process serves pages only.

    Outside embedded mode the schema must already be at head (``sopflow db upgrade``);
    a SopflowError at start is printed and the exit status is 1.
    """
    from werkzeug.serving import run_simple

    from . import create_app

    settings = state.settings
    # Embedded (SQLite default): migrate for the user; otherwise refuse unless the schema is at head.
    app = create_app({"SOPFLOW_SETTINGS": settings, "SOPFLOW_MIGRATE": settings.embedded})
    scheduler = None
    if not settings.broker_url:
        from sopflow.jobs.scheduler import InProcessScheduler

        scheduler = InProcessScheduler(app.extensions["sopflow"].engine, scheduler_interval)
        scheduler.start()
    print(f"sopflow berjalan di http://{host}:{port}/  (basis data: {settings.database_url})")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if scheduler is not None:
            scheduler.stop()
    return 0


cli.add_command(serve)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sopflow`` command (every engine command plus ``serve``); return the exit status."""
    return engine_main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
