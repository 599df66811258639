"""The one place the CLI reads its configuration: :class:`CliContext`, shared through ``click.Context.obj``."""

from __future__ import annotations

from dataclasses import dataclass, field

import click

from sopflow.engine.boundary import Engine
from sopflow.logs import configure_logging
from sopflow.persistence.db import open_database
from sopflow.settings import Settings


@dataclass
class CliContext:
    """What every command of one ``sopflow`` call shares: the ``--data-dir`` given, the settings and the engine.

    The root group makes it; commands receive it through :data:`pass_cli`. The settings are
    read once, on first use (``Settings.from_env``: ``--data-dir``, then the environment, then
    ``SOPFLOW_CONFIG``; a DeploymentError names a bad value). Reading lazily lets ``--help`` and
    ``new-sop`` run with a broken configuration and lets ``serve --data-dir`` (parsed after the
    root group's callback) still count.
    """

    data_dir: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)

    def use_data_dir(self, value: str | None) -> None:
        """Take ``--data-dir`` (from the root group or a command); raise UsageError once settings are read."""
        if value is None:
            return
        if self._settings is not None and value != self.data_dir:
            raise click.UsageError("--data-dir harus diberikan sebelum pengaturan dibaca.")
        self.data_dir = value

    @property
    def settings(self) -> Settings:
        """Return the settings of this call, reading them (and configuring logging) the first time."""
        if self._settings is None:
            self._settings = Settings.from_env(data_dir=self.data_dir)
            configure_logging(self._settings.log_format, self._settings.log_level)
        return self._settings

    def engine(self) -> Engine:
        """Return the engine of this call, opening the database the first time.

        Required data files must exist (DeploymentError naming the missing one). In embedded
        mode the schema is upgraded for the user; otherwise it must already be at head
        (SchemaOutdated: run ``sopflow db upgrade``).
        """
        if self._engine is None:
            settings = self.settings
            settings.check_data_files()
            self._engine = Engine(open_database(settings), settings)
        return self._engine

    def close(self) -> None:
        """Release the database connections the call opened (the root context calls this at its end)."""
        if self._engine is not None:
            self._engine.db.dispose()
            self._engine = None


pass_cli = click.make_pass_decorator(CliContext, ensure=True)
