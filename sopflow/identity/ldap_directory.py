"""Sign-in against an LDAP directory (OpenLDAP, Active Directory) with ldap3.

A password is checked in three steps: bind as the service account (``LDAP_BIND_DN``),
search the person with ``LDAP_USER_FILTER`` (the username escaped with
``ldap3.utils.conv.escape_filter_chars``, so ``*)(uid=*`` finds nobody), then bind as the
person's DN with the password. The connection is encrypted — LDAPS (``ldaps://``) or
StartTLS (``LDAP_START_TLS``), the server's certificate verified against ``LDAP_CA_FILE``
or the system's store — unless ``LDAP_ALLOW_PLAIN`` is on (a test server only).

Groups come from an attribute of the entry (``LDAP_GROUP_ATTRIBUTE``, e.g. ``memberOf``)
or, with ``LDAP_GROUP_BASE``, from a search of the groups that list the person as
``member``/``uniqueMember``/``memberUid``. A directory that cannot be reached raises
:class:`DirectoryUnavailable`; the login page shows its Indonesian message and local
break-glass accounts still sign in.
"""

from __future__ import annotations

import contextlib
import ssl
from typing import Any

from ldap3 import ALL_ATTRIBUTES, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from sopflow.errors import DeploymentError, SopflowError
from sopflow.identity.provisioning import DirectoryIdentity
from sopflow.settings import Settings

SOURCE = "ldap"
TIMEOUT_SECONDS = 5
PAGE_SIZE = 500  # paged search of the sync (RFC 2696)
_NAME_ATTRIBUTES = ("displayName", "cn")
_SUBJECT_ATTRIBUTE = "entryUUID"  # OpenLDAP; Active Directory: objectGUID
_MAX_USERNAME = 120


class DirectoryUnavailable(SopflowError):
    """The LDAP directory cannot be reached or refuses the service account."""

    http_status = 503
    default_message = "Direktori kantor (LDAP) sedang tidak dapat dihubungi. Coba lagi nanti atau hubungi admin."


class LdapDirectory:
    """The office's LDAP directory, as configured in the settings."""

    def __init__(self, settings: Settings) -> None:
        """Check the settings; raise DeploymentError for an unencrypted URL without ``LDAP_ALLOW_PLAIN``."""
        if not settings.ldap_url or not settings.ldap_user_base:
            raise DeploymentError("LDAP belum dikonfigurasi (LDAP_URL dan LDAP_USER_BASE).")
        self.settings = settings
        self.url: str = settings.ldap_url  # checked above: both set
        self.user_base: str = settings.ldap_user_base
        self.use_ssl = settings.ldap_url.lower().startswith("ldaps://")
        if not self.use_ssl and not settings.ldap_start_tls and not settings.ldap_allow_plain:
            raise DeploymentError(
                "Pengaturan tidak sah: LDAP tanpa enkripsi ditolak. Pakai ldaps:// atau LDAP_START_TLS=true "
                "(LDAP_ALLOW_PLAIN=true hanya untuk server uji)."
            )

    def authenticate(self, username: str, password: str) -> DirectoryIdentity | None:
        """Return the person when ``password`` is theirs, else None (unknown user or wrong password).

        An empty password is refused before any bind (an LDAP server would take it as an
        anonymous bind). Raises DirectoryUnavailable when the directory cannot be asked.
        """
        if not password or not _plausible(username):
            return None
        entry = self._find_entry(username)
        if entry is None:
            return None
        person = self._connection(entry["dn"], password)
        try:
            if not self._bind(person, service=False):
                return None
        finally:
            person.unbind()
        identity: DirectoryIdentity = entry["identity"]
        return identity

    def find(self, username: str) -> DirectoryIdentity | None:
        """Return the person of ``username`` (no password check), or None."""
        if not _plausible(username):
            return None
        entry = self._find_entry(username)
        return entry["identity"] if entry else None

    def all_users(self) -> list[DirectoryIdentity]:
        """Return every person ``LDAP_USER_FILTER`` matches (``{username}`` as a wildcard), for the sync."""
        query = self.settings.ldap_user_filter.replace("{username}", "*")
        with self._service() as conn:
            entries = self._search(conn, query, paged=True)
            return [self._identity(conn, entry) for entry in entries]

    # -- internals -----------------------------------------------------------------------------
    def _find_entry(self, username: str) -> dict[str, Any] | None:
        query = self.settings.ldap_user_filter.replace("{username}", escape_filter_chars(username))
        with self._service() as conn:
            entries = self._search(conn, query)
            if len(entries) != 1:  # none, or an ambiguous filter: never guess who it is
                return None
            return {"dn": entries[0]["dn"], "identity": self._identity(conn, entries[0])}

    def _search(self, conn: Connection, query: str, paged: bool = False) -> list[dict[str, Any]]:
        """Search people; ``paged`` (the sync) reads every page, so a server's size limit (Active
        Directory: 1000) can never make people look gone. An incomplete answer raises DirectoryUnavailable."""
        attributes = [ALL_ATTRIBUTES, _SUBJECT_ATTRIBUTE, "memberOf"]
        base = self.user_base
        try:
            if paged:
                response = conn.extend.standard.paged_search(
                    base, query, search_scope=SUBTREE, attributes=attributes, paged_size=PAGE_SIZE, generator=False
                )
            else:
                conn.search(base, query, search_scope=SUBTREE, attributes=attributes, time_limit=TIMEOUT_SECONDS)
                response = conn.response
        except LDAPException as exc:
            raise DirectoryUnavailable(DirectoryUnavailable.default_message, detail=str(exc)) from None
        if conn.result and conn.result.get("result") not in (0, None):
            raise DirectoryUnavailable(DirectoryUnavailable.default_message, detail=str(conn.result))
        return [e for e in response or [] if e.get("type") == "searchResEntry"]

    def _identity(self, conn: Connection, entry: dict[str, Any]) -> DirectoryIdentity:
        attrs = {key.lower(): _strings(value) for key, value in (entry.get("attributes") or {}).items()}
        username = _first(attrs.get("uid")) or _first(attrs.get("samaccountname")) or ""
        full_name = next((_first(attrs.get(a.lower())) for a in _NAME_ATTRIBUTES if attrs.get(a.lower())), "")
        groups = tuple(attrs.get(self.settings.ldap_group_attribute.lower(), ()))
        if self.settings.ldap_group_base:
            groups = groups + self._group_search(conn, self.settings.ldap_group_base, entry["dn"], username)
        subject = _first(attrs.get(_SUBJECT_ATTRIBUTE.lower())) or _first(attrs.get("objectguid")) or entry["dn"]
        return DirectoryIdentity(
            source=SOURCE,
            subject=subject,
            username=username,
            full_name=full_name,
            email=_first(attrs.get("mail")) or None,
            groups=groups,
            attributes=attrs,
        )

    def _group_search(self, conn: Connection, base: str, dn: str, username: str) -> tuple[str, ...]:
        dn_value, uid_value = escape_filter_chars(dn), escape_filter_chars(username)
        query = f"(|(member={dn_value})(uniqueMember={dn_value})(memberUid={uid_value}))"
        try:
            conn.search(base, query, search_scope=SUBTREE, attributes=["cn"])
        except LDAPException as exc:
            raise DirectoryUnavailable(DirectoryUnavailable.default_message, detail=str(exc)) from None
        found = []
        for entry in conn.response or []:
            if entry.get("type") == "searchResEntry":
                found.append(entry["dn"])
                found.extend(_strings((entry.get("attributes") or {}).get("cn")))
        return tuple(found)

    def _server(self) -> Server:
        tls = None
        if self.use_ssl or self.settings.ldap_start_tls:
            ca = str(self.settings.ldap_ca_file) if self.settings.ldap_ca_file else None
            tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=ca, version=ssl.PROTOCOL_TLS_CLIENT)
        return Server(self.url, use_ssl=self.use_ssl, tls=tls, get_info=NONE, connect_timeout=TIMEOUT_SECONDS)

    def _connection(self, user: str | None, password: str | None) -> Connection:
        return Connection(self._server(), user=user, password=password, receive_timeout=TIMEOUT_SECONDS)

    def _bind(self, conn: Connection, service: bool) -> bool:
        """Open, StartTLS when configured, bind; False for refused credentials, DirectoryUnavailable when down."""
        try:
            conn.open()
            if self.settings.ldap_start_tls and not self.use_ssl and not conn.start_tls():
                raise DirectoryUnavailable(DirectoryUnavailable.default_message, detail="StartTLS ditolak")
            return bool(conn.bind())
        except LDAPException as exc:
            raise DirectoryUnavailable(DirectoryUnavailable.default_message, detail=str(exc)) from None

    def _service(self) -> _ServiceConnection:
        return _ServiceConnection(self)


class _ServiceConnection:
    """``with`` block of a connection bound as the service account (anonymous when no LDAP_BIND_DN)."""

    def __init__(self, directory: LdapDirectory) -> None:
        settings = directory.settings
        self.directory = directory
        self.conn = directory._connection(settings.ldap_bind_dn, settings.ldap_bind_password)

    def __enter__(self) -> Connection:
        if not self.directory._bind(self.conn, service=True):
            raise DirectoryUnavailable(
                "Direktori kantor (LDAP) menolak akun layanan sopflow (LDAP_BIND_DN). Hubungi admin.",
                detail=str(self.conn.result),
            )
        return self.conn

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(LDAPException):
            self.conn.unbind()


def _plausible(username: str) -> bool:
    """Refuse empty, overlong or control-character usernames before asking the directory."""
    return bool(username) and len(username) <= _MAX_USERNAME and all(ch.isprintable() for ch in username)


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    values = value if isinstance(value, list | tuple) else [value]
    return tuple(_text(v) for v in values)


def _text(value: Any) -> str:
    """A value as text; binary values that are not UTF-8 (Active Directory's objectGUID) as hex."""
    if not isinstance(value, bytes):
        return str(value)
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.hex()


def _first(values: tuple[str, ...] | None) -> str:
    return values[0] if values else ""
