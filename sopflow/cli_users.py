"""``sopflow users`` commands for credentials: list and revoke API tokens, set a password.

- ``sopflow users tokens USERNAME``: every token of the user (id, created, last used,
  expires, status).
- ``sopflow users revoke-token TOKEN_ID``: revoke one token.
- ``sopflow users password USERNAME [--password P]``: set a new password (generated and
  printed when none is given); every web session of the user ends.
- ``sopflow users sync``: apply the LDAP directory and the mapping file to every account
  (created / changed / retired / unchanged), for the scheduler (:mod:`sopflow.identity.sync`).

``sopflow users token USERNAME --days N`` (in :mod:`sopflow.cli`) issues a token.
"""

from __future__ import annotations

import argparse
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sopflow.access import tokens
from sopflow.access.users import set_password
from sopflow.cli_records import engine_from_args

Handler = Callable[[argparse.Namespace], int]


def cmd_users_tokens(args: argparse.Namespace) -> int:
    """List a user's API tokens, newest first."""
    engine = engine_from_args(args)
    with engine.db.reading() as session:
        rows = tokens.list_tokens(session, args.username, engine.clock())
    if not rows:
        print(f"Pengguna {args.username} tidak punya token API.")
        return 0
    print(f"{'id':>5}  {'dibuat':16}  {'terakhir dipakai':16}  {'kedaluwarsa':16}  status")
    for row in rows:
        print(
            f"{row['id']:>5}  {_stamp(row['created_at'])}  {_stamp(row['last_used_at'])}  "
            f"{_stamp(row['expires_at'])}  {row['status']}"
        )
    return 0


def cmd_users_revoke_token(args: argparse.Namespace) -> int:
    """Revoke one API token by id."""
    engine = engine_from_args(args)
    with engine.db.unit_of_work() as session:
        changed = tokens.revoke_token(session, args.token_id, now=engine.clock())
    print(f"Token #{args.token_id} dicabut." if changed else f"Token #{args.token_id} sudah dicabut sebelumnya.")
    return 0


def cmd_users_password(args: argparse.Namespace) -> int:
    """Set a user's password (generated when not given); the user's web sessions end."""
    engine = engine_from_args(args)
    password = args.password or secrets.token_urlsafe(12)
    with engine.db.unit_of_work() as session:
        set_password(session, args.username, password)
    suffix = "" if args.password else f" Kata sandi baru: {password}"
    print(f"Kata sandi {args.username} diganti; semua sesi web pengguna ini berakhir.{suffix}")
    return 0


def cmd_users_sync(args: argparse.Namespace) -> int:
    """Apply the LDAP directory to every account and print what changed (exit 1 when the directory is down)."""
    from sopflow.identity.ldap_directory import DirectoryUnavailable, LdapDirectory
    from sopflow.identity.mapping import load_mapping
    from sopflow.identity.sync import sync_directory

    engine = engine_from_args(args)
    settings = engine.settings
    if not settings.ldap_enabled or settings.identity_mapping_file is None:
        print("Sinkronisasi memerlukan LDAP_URL, LDAP_USER_BASE dan IDENTITY_MAPPING_FILE.")
        return 2
    mapping = load_mapping(settings.identity_mapping_file)
    try:
        report = sync_directory(engine, LdapDirectory(settings), mapping)
    except DirectoryUnavailable as exc:
        print(f"{exc.message} Tidak ada akun yang diubah.")
        return 1
    for label, names in (
        ("dibuat", report.created),
        ("berubah", report.changed),
        ("dipensiunkan", report.retired),
        ("tetap", report.unchanged),
        ("dilewati (tidak dipetakan)", report.skipped),
    ):
        print(f"{label}: {len(names)}" + (f" ({', '.join(names)})" if names else ""))
    if report.released_tasks:
        print(f"tugas dikembalikan ke lane: {len(report.released_tasks)}")
    return 0


def add_user_commands(users: Any, add: Callable[[Any, str, Handler, str], argparse.ArgumentParser]) -> None:
    """Add ``tokens``, ``revoke-token``, ``password`` and ``sync`` to the ``users`` command group."""
    p = add(users, "tokens", cmd_users_tokens, "daftar token API pengguna (dibuat, terakhir dipakai, kedaluwarsa)")
    p.add_argument("username")
    p = add(users, "revoke-token", cmd_users_revoke_token, "cabut satu token API")
    p.add_argument("token_id", type=int)
    p = add(users, "password", cmd_users_password, "ganti kata sandi pengguna (mengakhiri semua sesinya)")
    p.add_argument("username")
    p.add_argument("--password", help="kata sandi baru (bawaan: dibuat acak dan dicetak)")
    add(users, "sync", cmd_users_sync, "sinkronkan akun dengan direktori LDAP dan berkas pemetaan")


def _stamp(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "-".ljust(16)
