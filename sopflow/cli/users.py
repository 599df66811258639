"""``sopflow users``: accounts and their credentials.

- ``add USERNAME``: create a user (a password is generated and printed when none is given).
- ``token USERNAME [--days N]``: issue a bearer token for the REST API (printed once).
- ``tokens USERNAME``: every token of the user (id, created, last used, expires, status).
- ``revoke-token TOKEN_ID``: revoke one token.
- ``password USERNAME [--password P]``: set a new password; every web session of the user ends.
- ``sync``: apply the LDAP directory and the mapping file to every account (:mod:`sopflow.identity.sync`).
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from datetime import datetime

import click

from sopflow.access import tokens
from sopflow.access.tokens import issue_token
from sopflow.access.users import add_user, set_password
from sopflow.cli.context import CliContext, pass_cli
from sopflow.cli.options import F, username_argument


@click.group("users", help="pengguna")
def users_group() -> None:
    """Group the account and credential commands."""


def _password_option(help_text: str) -> Callable[[F], F]:
    """``--password``: the new password; generated (and printed) when omitted."""
    return click.option("--password", help=help_text)


@users_group.command("add", help="tambah pengguna")
@username_argument
@click.option("--lead", multiple=True, metavar="LANE", help="lane yang dikepalai (boleh mengalihkan tugas)")
@click.option("--lane", multiple=True, help="lane pengguna (boleh berulang)")
@click.option("--bidang", multiple=True, help="Bidang pengguna (boleh berulang)")
@click.option("--role", multiple=True, help="peran (bawaan: aktor; boleh berulang)")
@click.option("--name", help="nama lengkap")
@_password_option("kata sandi (bawaan: dibuat acak dan dicetak)")
@pass_cli
def add(
    cli: CliContext,
    username: str,
    lead: tuple[str, ...],
    lane: tuple[str, ...],
    bidang: tuple[str, ...],
    role: tuple[str, ...],
    name: str | None,
    password: str | None,
) -> int:
    """Create a user; a password is generated (and printed) when none is given."""
    engine = cli.engine()
    secret = password or secrets.token_urlsafe(12)
    with engine.db.unit_of_work() as session:
        add_user(
            session,
            username,
            secret,
            list(lane),
            list(bidang),
            list(role) or ["aktor"],
            name or "",
            lead_lanes=list(lead),
        )
    print(f"Pengguna {username} dibuat." + ("" if password else f" Kata sandi: {secret}"))
    return 0


@users_group.command("token", help="buat token API (Bearer) untuk pengguna")
@username_argument
@click.option("--days", type=int, help="masa berlaku dalam hari (bawaan API_TOKEN_DAYS, 90)")
@pass_cli
def token(cli: CliContext, username: str, days: int | None) -> int:
    """Issue a bearer token for the REST API (printed once), valid ``--days`` days (default API_TOKEN_DAYS)."""
    engine = cli.engine()
    days = days or engine.settings.api_token_days
    with engine.db.unit_of_work() as session:
        value = issue_token(session, username, days, engine.clock())
    print(value)
    print(f"Berlaku {days} hari; simpan sekarang, token ini tidak dapat ditampilkan lagi.", file=sys.stderr)
    return 0


@users_group.command("tokens", help="daftar token API pengguna (dibuat, terakhir dipakai, kedaluwarsa)")
@username_argument
@pass_cli
def list_tokens(cli: CliContext, username: str) -> int:
    """List a user's API tokens, newest first."""
    engine = cli.engine()
    with engine.db.reading() as session:
        rows = tokens.list_tokens(session, username, engine.clock())
    if not rows:
        print(f"Pengguna {username} tidak punya token API.")
        return 0
    print(f"{'id':>5}  {'dibuat':16}  {'terakhir dipakai':16}  {'kedaluwarsa':16}  status")
    for row in rows:
        print(
            f"{row['id']:>5}  {_stamp(row['created_at'])}  {_stamp(row['last_used_at'])}  "
            f"{_stamp(row['expires_at'])}  {row['status']}"
        )
    return 0


@users_group.command("revoke-token", help="cabut satu token API")
@click.argument("token_id", type=int)
@pass_cli
def revoke_token(cli: CliContext, token_id: int) -> int:
    """Revoke one API token by id."""
    engine = cli.engine()
    with engine.db.unit_of_work() as session:
        changed = tokens.revoke_token(session, token_id, now=engine.clock())
    print(f"Token #{token_id} dicabut." if changed else f"Token #{token_id} sudah dicabut sebelumnya.")
    return 0


@users_group.command("password", help="ganti kata sandi pengguna (mengakhiri semua sesinya)")
@username_argument
@_password_option("kata sandi baru (bawaan: dibuat acak dan dicetak)")
@pass_cli
def password(cli: CliContext, username: str, password: str | None) -> int:
    """Set a user's password (generated when not given); the user's web sessions end."""
    engine = cli.engine()
    secret = password or secrets.token_urlsafe(12)
    with engine.db.unit_of_work() as session:
        set_password(session, username, secret)
    suffix = "" if password else f" Kata sandi baru: {secret}"
    print(f"Kata sandi {username} diganti; semua sesi web pengguna ini berakhir.{suffix}")
    return 0


@users_group.command("sync", help="sinkronkan akun dengan direktori LDAP dan berkas pemetaan")
@pass_cli
def sync(cli: CliContext) -> int:
    """Apply the LDAP directory to every account and print what changed (exit 1 when the directory is down)."""
    from sopflow.identity.ldap_directory import DirectoryUnavailable, LdapDirectory
    from sopflow.identity.mapping import load_mapping
    from sopflow.identity.sync import sync_directory

    engine = cli.engine()
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


def _stamp(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "-".ljust(16)
