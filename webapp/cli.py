"""The ``sopflow`` console command: the engine's CLI plus ``serve`` (which needs the web app)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sopflow import cli as engine_cli
from sopflow.errors import SopflowError


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``sopflow serve ...`` here and every other subcommand in :mod:`sopflow.cli`."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "serve" not in args[:3]:
        return engine_cli.main(args)
    parser = argparse.ArgumentParser(prog="sopflow serve", description="Jalankan aplikasi web sopflow.")
    parser.add_argument("--data-dir")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument(
        "--scheduler-interval", type=float, default=30.0, help="detik antar putaran penjadwal (mode tertanam)"
    )
    options = parser.parse_args([a for a in args if a != "serve"])
    try:
        return serve(options)
    except SopflowError as exc:  # invalid settings, missing data file, schema behind, unsafe secret key
        print(f"Galat: {exc.message}", file=sys.stderr)
        return 1


def serve(options: argparse.Namespace) -> int:
    """Serve the web app (werkzeug; production uses gunicorn ``webapp.wsgi:app``).

    Without ``BROKER_URL`` (embedded mode) jobs run in-process and a scheduler thread runs
    the scheduler round beside the server; with a broker, ``sopflow worker`` and
    ``sopflow scheduler`` do that work and this process serves pages only.

    Outside embedded mode the schema must already be at head (``sopflow db upgrade``);
    a SopflowError at start is printed and the exit status is 1.
    """
    from werkzeug.serving import run_simple

    from sopflow import Settings

    from . import create_app

    settings = Settings.from_env(data_dir=options.data_dir)
    # Embedded (SQLite default): migrate for the user; otherwise refuse unless the schema is at head.
    app = create_app({"SOPFLOW_SETTINGS": settings, "SOPFLOW_MIGRATE": settings.embedded})
    scheduler = None
    if not settings.broker_url:
        from sopflow.jobs.scheduler import InProcessScheduler

        scheduler = InProcessScheduler(app.extensions["sopflow"].engine, options.scheduler_interval)
        scheduler.start()
    print(f"sopflow berjalan di http://{options.host}:{options.port}/  (basis data: {settings.database_url})")
    try:
        run_simple(options.host, options.port, app, threaded=True, use_reloader=False)
    finally:
        if scheduler is not None:
            scheduler.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
