"""Checks of the directory settings that ``Settings.from_env`` runs (kept here to keep settings.py small)."""

from __future__ import annotations

from typing import Any

from sopflow.errors import DeploymentError

#: the identity settings read as plain text
IDENTITY_TEXT_FIELDS = (
    "oidc_issuer",
    "oidc_client_id",
    "oidc_client_secret",
    "oidc_scopes",
    "oidc_username_claim",
    "oidc_groups_claim",
    "ldap_url",
    "ldap_bind_dn",
    "ldap_bind_password",
    "ldap_user_base",
    "ldap_user_filter",
    "ldap_group_attribute",
    "ldap_group_base",
)
#: every identity setting; its environment variable is the upper-case name (OIDC_ISSUER, LDAP_URL, …)
IDENTITY_FIELDS = (
    *IDENTITY_TEXT_FIELDS,
    "ldap_start_tls",
    "ldap_ca_file",
    "ldap_allow_plain",
    "identity_mapping_file",
    "local_login",
)


def check_identity_settings(values: dict[str, Any]) -> None:
    """Refuse an incomplete directory configuration at start-up (the mapping file itself: sopflow.identity)."""
    directory = values.get("oidc_issuer") or values.get("ldap_url")
    if values.get("oidc_issuer") and not values.get("oidc_client_id"):
        raise DeploymentError("Pengaturan tidak sah: OIDC_ISSUER diisi tetapi OIDC_CLIENT_ID kosong.")
    if values.get("ldap_url") and not values.get("ldap_user_base"):
        raise DeploymentError("Pengaturan tidak sah: LDAP_URL diisi tetapi LDAP_USER_BASE kosong.")
    if values.get("ldap_user_filter") and "{username}" not in values["ldap_user_filter"]:
        raise DeploymentError("Pengaturan tidak sah: LDAP_USER_FILTER harus memuat {username}.")
    if directory and not values.get("identity_mapping_file"):
        raise DeploymentError(
            "Pengaturan tidak sah: masuk lewat direktori (OIDC_ISSUER/LDAP_URL) memerlukan IDENTITY_MAPPING_FILE."
        )
