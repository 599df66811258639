"""Fixtures for the job runner, notification and scheduler tests.

The ``mini`` process and its test handlers come from ``tests/engine/conftest.py``: pytest
(``--import-mode=importlib``) imports that file as the module ``tests.engine.conftest``
whichever folder is collected first, so importing it here reuses the same module (and the
handlers are registered once). Its fixtures are re-exported below.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from sopflow import Engine, Settings
from sopflow.persistence.models import Job, User
from sopflow.queries.inbox import timeline_for_case
from tests.engine.conftest import MINI, mini, start

__all__ = ["MINI", "mini", "start"]

REPO = Path(__file__).resolve().parents[2]


class Clock:
    """A simulated clock the engine reads; tests move it."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def set(self, now: datetime) -> None:
        with self._lock:
            self.now = now


class RecordingTransport:
    """A transport that only remembers what it was asked to send (a broker that never delivers)."""

    name = "recording"

    def __init__(self) -> None:
        self.sent: list[tuple[list[str], float]] = []

    def send(self, job_ids: list[str], countdown: float = 0.0) -> None:
        self.sent.append((list(job_ids), countdown))

    def ids(self) -> list[str]:
        return [job_id for ids, _ in self.sent for job_id in ids]


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 8, 14, 2, 0))


@pytest.fixture
def recorder() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def queued_engine(database, settings, clock, recorder, mini) -> Engine:
    """An engine whose jobs are recorded in the outbox but only run when a test runs them."""
    return Engine(database, settings, clock=clock, transport=recorder)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MailRecorder:
    """aiosmtpd handler keeping every message it accepted."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that can be started and stopped on a fixed port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.mail = MailRecorder()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mail, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


def with_smtp(settings: Settings, port: int) -> Settings:
    return dataclasses.replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=port,
        mail_from="sopflow@diskominfo.example.go.id",
        base_url="https://sopflow.example.go.id/",
    )


def set_email(database, username: str, address: str | None, enabled: bool = True) -> None:
    with database.unit_of_work() as session:
        session.execute(
            update(User).where(User.username == username).values(email=address, email_notifications=enabled)
        )


def deactivate(database, username: str) -> None:
    with database.unit_of_work() as session:
        session.execute(update(User).where(User.username == username).values(active=False))


def job_row(database, job_id: str) -> Job:
    with database.reading() as session:
        return session.get_one(Job, job_id)


def jobs_of_kind(database, kind: str) -> list[Job]:
    with database.reading() as session:
        return list(session.scalars(select(Job).where(Job.kind == kind).order_by(Job.created_at)).all())


def events_of(engine: Engine, case_id: str, kind: str) -> list[dict[str, Any]]:
    with engine.db.reading() as session:
        return [e for e in timeline_for_case(session, case_id) if e["kind"] == kind]


class PrivateRedis:
    """A throw-away redis-server on its own port (no persistence), stoppable by the test."""

    def __init__(self, port: int, workdir: Path) -> None:
        self.port = port
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            pytest.skip("redis-server is not installed")
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(20)
            self.proc = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(free_port(), tmp_path)
    server.start()
    yield server
    server.stop()


def worker_env(settings: Settings, broker_url: str) -> dict[str, str]:
    """The environment of a ``sopflow worker`` process using the test database and data folder."""
    env = dict(os.environ)
    env.update(
        BROKER_URL=broker_url,
        DATABASE_URL=settings.database_url,
        SOPFLOW_DATA_DIR=str(settings.data_dir),
        SOPFLOW_MODE="production",
        SECRET_KEY="uji-" + "k" * 40,
        LOG_FORMAT="console",
        LOG_LEVEL="INFO",
        PYTHONPATH=str(REPO),
    )
    env.pop("SOPFLOW_CONFIG", None)
    return env
