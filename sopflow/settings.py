"""Runtime settings: one frozen object, read once and passed down explicitly.

:meth:`Settings.from_env` is the only place that reads configuration: environment variables
and an optional instance file in TOML (path in ``SOPFLOW_CONFIG``; its keys are the field
names below, plus ``mode``). Environment variables win over the file; explicit arguments
(``--data-dir``) win over both. Invalid values stop start-up with an Indonesian message
naming the variable. README.md "Configuration" lists every setting.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sopflow import resources
from sopflow.errors import DeploymentError
from sopflow.identity.config import IDENTITY_FIELDS, IDENTITY_TEXT_FIELDS, check_identity_settings

# The repository checkout; only tests that test the checkout itself use it. Runtime code
# finds its data through sopflow.resources and the settings below.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Field → environment variables, the first one set wins (SOPFLOW_SECRET_KEY is the old name).
ENV_VARIABLES: dict[str, tuple[str, ...]] = {
    "database_url": ("DATABASE_URL",),
    "data_dir": ("SOPFLOW_DATA_DIR",),
    "processes_dir": ("SOPFLOW_PROCESSES_DIR",),
    "templates_dir": ("SOPFLOW_TEMPLATES_DIR",),
    "samples_dir": ("SOPFLOW_SAMPLES_DIR",),
    "timezone": ("SOPFLOW_TIMEZONE",),
    "secret_key": ("SECRET_KEY", "SOPFLOW_SECRET_KEY"),
    "broker_url": ("BROKER_URL",),
    "smtp_host": ("SMTP_HOST",),
    "smtp_port": ("SMTP_PORT",),
    "smtp_username": ("SMTP_USERNAME",),
    "smtp_password": ("SMTP_PASSWORD",),
    "smtp_starttls": ("SMTP_STARTTLS",),
    "smtp_ssl": ("SMTP_SSL",),
    "mail_from": ("MAIL_FROM",),
    "base_url": ("SOPFLOW_BASE_URL",),
    "log_format": ("LOG_FORMAT",),
    "log_level": ("LOG_LEVEL",),
    "session_minutes": ("SESSION_MINUTES",),
    "max_upload_mb": ("MAX_UPLOAD_MB",),
    "mode": ("SOPFLOW_MODE",),
    "ratelimit_storage_url": ("RATELIMIT_STORAGE_URL",),
    "login_limit_account": ("LOGIN_LIMIT_ACCOUNT",),
    "login_limit_address": ("LOGIN_LIMIT_ADDRESS",),
    "login_limit_minutes": ("LOGIN_LIMIT_MINUTES",),
    "session_max_hours": ("SESSION_MAX_HOURS",),
    "session_cookie_secure": ("SESSION_COOKIE_SECURE",),
    "hsts_seconds": ("HSTS_SECONDS",),
    "api_token_days": ("API_TOKEN_DAYS",),
    "job_resend_seconds": ("JOB_RESEND_SECONDS",),
    "signing_trust_roots": ("SIGNING_TRUST_ROOTS",),
    **{name: (name.upper(),) for name in IDENTITY_FIELDS},  # OIDC_ISSUER, LDAP_URL, … (sopflow.identity.config)
    "logo_file": ("LOGO_FILE",),
}
CONFIG_VARIABLE = "SOPFLOW_CONFIG"
LOG_FORMATS = ("json", "console")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MODES = ("production", "embedded")
LOCAL_LOGIN_POLICIES = ("all", "admin_only")
# Values that are obviously not secret; outside embedded mode they refuse to start.
PLACEHOLDER_SECRET_KEYS = frozenset(
    {"changeme", "change-me", "change_me", "secret", "secret-key", "dev", "development", "sopflow", "rahasia", "ganti"}
)
MIN_SECRET_KEY_LENGTH = 16
_TRUE = ("1", "true", "yes", "ya", "on")
_FALSE = ("0", "false", "no", "tidak", "off")


@dataclass(frozen=True)
class Settings:
    """Everything an installation configures; see README.md "Configuration" for the variables.

    Built directly (``Settings(database_url=..., data_dir=...)``, as tests do) every other
    field has its default and ``embedded`` is True; :meth:`from_env` reads the environment
    and the instance file. ``embedded`` is True when no ``DATABASE_URL`` is configured (the
    SQLite file under ``data_dir``) unless ``SOPFLOW_MODE`` says otherwise: then the CLI
    and ``sopflow serve`` migrate the schema themselves and a random secret key is kept in
    ``<data_dir>/secret_key``.
    """

    database_url: str
    data_dir: Path
    processes_dir: Path = field(default_factory=resources.builtin_processes_dir)
    templates_dir: Path = field(default_factory=resources.builtin_templates_dir)
    samples_dir: Path = field(default_factory=resources.builtin_samples_dir)
    timezone: str = "Asia/Makassar"
    secret_key: str | None = field(default=None, repr=False)
    broker_url: str | None = field(default=None, repr=False)
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    mail_from: str = "sopflow@localhost"
    base_url: str = "http://127.0.0.1:5000"
    log_format: str = "console"
    log_level: str = "INFO"
    session_minutes: int = 30
    max_upload_mb: int = 64
    embedded: bool = True
    # accounts and sessions (webapp/security.py): failed sign-ins allowed per account and per
    # address within the window; absolute session lifetime; Secure cookie (None: on outside
    # embedded mode); HSTS max-age (0: no header); default lifetime of API tokens
    ratelimit_storage_url: str | None = field(default=None, repr=False)
    login_limit_account: int = 10
    login_limit_address: int = 30
    login_limit_minutes: int = 15
    session_max_hours: int = 12
    session_cookie_secure: bool | None = None
    hsts_seconds: int = 0
    api_token_days: int = 90
    # a queued job no worker took this long after its send is sent again (its message was lost)
    job_resend_seconds: int = 60
    # sign-in with the office's directory (sopflow/identity): OpenID Connect, LDAP, the
    # mapping file of groups to lanes/units/roles, and who may still use a local password
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = field(default=None, repr=False)
    oidc_scopes: str = "openid profile email"
    oidc_username_claim: str = "preferred_username"
    oidc_groups_claim: str = "groups"
    ldap_url: str | None = None
    ldap_bind_dn: str | None = None
    ldap_bind_password: str | None = field(default=None, repr=False)
    ldap_user_base: str | None = None
    ldap_user_filter: str = "(&(objectClass=inetOrgPerson)(uid={username}))"
    ldap_group_attribute: str = "memberOf"
    ldap_group_base: str | None = None
    ldap_start_tls: bool = False
    ldap_ca_file: Path | None = None
    ldap_allow_plain: bool = False
    identity_mapping_file: Path | None = None
    local_login: str = "all"
    # electronic signatures (sopflow/signing): PEM files of the roots a signer's certificate
    # must chain to for `sopflow audit verify` (none: the chain is not judged)
    signing_trust_roots: tuple[Path, ...] = ()
    # the office's logo (PNG or JPEG) on the identity page of SOP documents; none: a neutral placeholder
    logo_file: Path | None = None

    @property
    def oidc_enabled(self) -> bool:
        """Whether "Masuk dengan SSO" (OpenID Connect) is configured."""
        return bool(self.oidc_issuer)

    @property
    def ldap_enabled(self) -> bool:
        """Whether the login form checks passwords against LDAP."""
        return bool(self.ldap_url)

    @property
    def files_dir(self) -> Path:
        """Folder of the content-addressed file store."""
        return self.data_dir / "files"

    @property
    def calendar_file(self) -> Path:
        """The cuti bersama list used for working days."""
        return self.processes_dir / "kalender.json"

    @property
    def cookie_secure(self) -> bool:
        """Whether the session cookie carries the Secure flag (default: on outside embedded mode)."""
        return (not self.embedded) if self.session_cookie_secure is None else self.session_cookie_secure

    @property
    def limiter_storage_url(self) -> str:
        """Where the sign-in counters live: RATELIMIT_STORAGE_URL, else a redis BROKER_URL, else memory."""
        if self.ratelimit_storage_url:
            return self.ratelimit_storage_url
        if self.broker_url and self.broker_url.startswith(("redis://", "rediss://")):
            return self.broker_url
        return "memory://"

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is a SQLite file."""
        return self.database_url.startswith("sqlite")

    def check_data_files(self) -> None:
        """Stop start-up when a required data file is missing, naming it.

        Required: the processes folder with its ``kalender.json``, and in the templates
        folder every template sopflow ships (the handlers fill exactly those).
        Raises DeploymentError.
        """
        resources.require_dir(self.processes_dir, "proses (SOPFLOW_PROCESSES_DIR)")
        resources.require_file(self.calendar_file, "kalender hari kerja (kalender.json)")
        resources.require_dir(self.templates_dir, "templat dokumen (SOPFLOW_TEMPLATES_DIR)")
        for shipped in sorted(resources.builtin_templates_dir().glob("*.docx")):
            resources.require_file(self.templates_dir / shipped.name, "templat dokumen")
        if self.logo_file is not None:
            resources.require_file(self.logo_file, "logo instansi (LOGO_FILE)")

    def require_secret_key(self) -> str | None:
        """Return the configured secret key, refusing an unsafe one outside embedded mode.

        Outside embedded mode a missing, empty, placeholder or short (< 16 characters) key
        raises DeploymentError. In embedded mode any configured key is used, and None means
        "keep a random key in ``<data_dir>/secret_key``".
        """
        key = (self.secret_key or "").strip()
        if self.embedded:
            return key or None
        if not key:
            raise DeploymentError(
                "SECRET_KEY belum diatur. Di luar mode embedded sopflow tidak berjalan tanpa kunci rahasia; "
                'isi SECRET_KEY dengan nilai acak, misalnya keluaran `python -c "import secrets; '
                'print(secrets.token_hex(32))"`.'
            )
        if key.lower() in PLACEHOLDER_SECRET_KEYS or len(key) < MIN_SECRET_KEY_LENGTH:
            raise DeploymentError(
                f"SECRET_KEY tidak aman (nilai bawaan/contoh atau kurang dari {MIN_SECRET_KEY_LENGTH} karakter); "
                "isi dengan nilai acak yang panjang."
            )
        return key

    @classmethod
    def from_env(
        cls,
        data_dir: str | Path | None = None,
        database_url: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        """Read the settings: explicit arguments, then environment variables, then the ``SOPFLOW_CONFIG`` file.

        ``environ`` defaults to ``os.environ``. Raises DeploymentError naming the variable
        (or the file's key) of an invalid value, or the config file that cannot be read.
        """
        env = os.environ if environ is None else environ
        raw: dict[str, tuple[Any, str, Path | None]] = {}  # field → (value, source, base folder for paths)
        config_path = env.get(CONFIG_VARIABLE) or None
        if config_path:
            path = Path(config_path).expanduser()
            for key, value in _read_config_file(path).items():
                raw[key] = (value, f"kunci '{key}' di berkas {path}", path.resolve().parent)
        for name, variables in ENV_VARIABLES.items():
            for variable in variables:
                value = env.get(variable)
                if value is not None and value.strip() != "":
                    raw[name] = (value.strip(), variable, None)
                    break
        if data_dir:
            raw["data_dir"] = (str(data_dir), "--data-dir", None)
        if database_url:
            raw["database_url"] = (database_url, "database_url", None)

        def get(name: str, convert: Callable[[Any, str, Path | None], Any]) -> Any:
            if name not in raw:
                return None
            value, source, base = raw[name]
            return convert(value, source, base)

        folder = get("data_dir", _path) or Path("var").resolve()
        url = get("database_url", _text) or f"sqlite:///{folder / 'sopflow.sqlite3'}"
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        mode = get("mode", _choice(MODES))
        values: dict[str, Any] = {
            "processes_dir": get("processes_dir", _path),
            "templates_dir": get("templates_dir", _path),
            "samples_dir": get("samples_dir", _path),
            "timezone": get("timezone", _timezone),
            "secret_key": get("secret_key", _text),
            "broker_url": get("broker_url", _text),
            "smtp_host": get("smtp_host", _text),
            "smtp_port": get("smtp_port", _integer(1, 65535)),
            "smtp_username": get("smtp_username", _text),
            "smtp_password": get("smtp_password", _text),
            "smtp_starttls": get("smtp_starttls", _boolean),
            "smtp_ssl": get("smtp_ssl", _boolean),
            "mail_from": get("mail_from", _text),
            "base_url": get("base_url", _text),
            "log_format": get("log_format", _choice(LOG_FORMATS)),
            "log_level": get("log_level", _choice(LOG_LEVELS, upper=True)),
            "session_minutes": get("session_minutes", _integer(1, 7 * 24 * 60)),
            "max_upload_mb": get("max_upload_mb", _integer(1, 10_000)),
            "embedded": mode == "embedded" if mode else "database_url" not in raw,
            "ratelimit_storage_url": get("ratelimit_storage_url", _text),
            "login_limit_account": get("login_limit_account", _integer(1, 100_000)),
            "login_limit_address": get("login_limit_address", _integer(1, 100_000)),
            "login_limit_minutes": get("login_limit_minutes", _integer(1, 24 * 60)),
            "session_max_hours": get("session_max_hours", _integer(1, 24 * 30)),
            "session_cookie_secure": get("session_cookie_secure", _boolean),
            "hsts_seconds": get("hsts_seconds", _integer(0, 2 * 365 * 24 * 3600)),
            "api_token_days": get("api_token_days", _integer(1, 3650)),
            "job_resend_seconds": get("job_resend_seconds", _integer(1, 24 * 3600)),
            **{name: get(name, _text) for name in IDENTITY_TEXT_FIELDS},
            "ldap_start_tls": get("ldap_start_tls", _boolean),
            "ldap_allow_plain": get("ldap_allow_plain", _boolean),
            "ldap_ca_file": get("ldap_ca_file", _path),
            "identity_mapping_file": get("identity_mapping_file", _path),
            "local_login": get("local_login", _choice(LOCAL_LOGIN_POLICIES)),
            "signing_trust_roots": get("signing_trust_roots", _path_list),
            "logo_file": get("logo_file", _path),
        }
        if values["smtp_starttls"] and values["smtp_ssl"]:
            raise DeploymentError("Pengaturan tidak sah: SMTP_STARTTLS dan SMTP_SSL tidak boleh aktif bersamaan.")
        check_identity_settings(values)
        return cls(database_url=url, data_dir=folder, **{k: v for k, v in values.items() if v is not None})


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise DeploymentError(
            f"Berkas konfigurasi {CONFIG_VARIABLE} tidak dapat dibaca: {path} ({exc.strerror or exc})."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise DeploymentError(f"Berkas konfigurasi {CONFIG_VARIABLE} ({path}) bukan TOML yang sah: {exc}.") from None
    known = {f.name for f in fields(Settings) if f.name != "embedded"} | {"mode"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise DeploymentError(
            f"Kunci tidak dikenal di berkas konfigurasi {path}: {', '.join(unknown)}. "
            f"Kunci yang dikenal: {', '.join(sorted(known))}."
        )
    return data


def _invalid(source: str, expected: str, value: Any) -> DeploymentError:
    return DeploymentError(f"Pengaturan tidak sah: {source} harus {expected}, bukan {value!r}.")


def _text(value: Any, source: str, _base: Path | None) -> str:
    if not isinstance(value, str):
        raise _invalid(source, "teks", value)
    return value


def _path(value: Any, source: str, base: Path | None) -> Path:
    path = Path(_text(value, source, base)).expanduser()
    return (base / path if base and not path.is_absolute() else path).resolve()


def _path_list(value: Any, source: str, base: Path | None) -> tuple[Path, ...]:
    """Read existing files from a list (TOML) or a text separated by ``os.pathsep`` or commas."""
    items = value if isinstance(value, list) else str(value).replace(os.pathsep, ",").split(",")
    paths = tuple(_path(str(item).strip(), source, base) for item in items if str(item).strip())
    for path in paths:
        if not path.is_file():
            raise _invalid(source, "daftar berkas PEM yang ada", str(path))
    return paths


def _timezone(value: Any, source: str, base: Path | None) -> str:
    name = _text(value, source, base)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _invalid(source, "nama zona waktu IANA (misalnya Asia/Makassar)", value) from None
    return name


def _integer(low: int, high: int) -> Callable[[Any, str, Path | None], int]:
    def convert(value: Any, source: str, _base: Path | None) -> int:
        if isinstance(value, bool):
            raise _invalid(source, f"bilangan bulat {low}–{high}", value)
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise _invalid(source, f"bilangan bulat {low}–{high}", value) from None
        if not low <= number <= high or (isinstance(value, float) and value != number):
            raise _invalid(source, f"bilangan bulat {low}–{high}", value)
        return number

    return convert


def _boolean(value: Any, source: str, _base: Path | None) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _invalid(source, "salah satu dari 1/0, true/false, ya/tidak", value)


def _choice(choices: tuple[str, ...], upper: bool = False) -> Callable[[Any, str, Path | None], str]:
    def convert(value: Any, source: str, base: Path | None) -> str:
        text = _text(value, source, base).strip()
        text = text.upper() if upper else text.lower()
        if text not in choices:
            raise _invalid(source, f"salah satu dari {', '.join(choices)}", value)
        return text

    return convert
