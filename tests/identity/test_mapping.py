"""The mapping file: the demo's file maps every demo person as demo.json does; mistakes stop start-up, named."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from sopflow import Settings
from sopflow.errors import DeploymentError
from sopflow.identity.mapping import MappingError, load_mapping, parse_mapping
from sopflow.settings import PROJECT_ROOT
from webapp import create_app

from .conftest import MAPPING

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")

DEMO = json.loads((PROJECT_ROOT / "samples" / "monev_kinerja" / "demo.json").read_text(encoding="utf-8"))
LDIF = (Path(__file__).parent / "directory.ldif").read_text(encoding="utf-8")


def groups_in_ldif(username: str) -> list[str]:
    """The groups directory.ldif gives a person (as DNs, the way group search returns them)."""
    found, current = [], None
    for line in LDIF.splitlines():
        if line.startswith("dn: cn="):
            current = line.removeprefix("dn: ")
        elif current and line == f"member: uid={username},ou=people,dc=dinas,dc=example":
            found.append(current)
    return found


@pytest.mark.parametrize("person", DEMO["users"], ids=lambda p: p["username"])
def test_the_demo_mapping_gives_each_directory_person_their_demo_lanes_units_and_roles(person):
    grant = load_mapping(MAPPING).grant_for(groups_in_ldif(person["username"]))
    assert list(grant.lanes) == person.get("lanes", [])
    assert list(grant.units) == person.get("units", [])
    assert sorted(grant.roles) == sorted(person.get("roles", ["aktor"]))
    assert list(grant.lead_lanes) == person.get("lead_lanes", [])


def test_groups_match_by_name_or_dn_case_blind_and_rules_add_up():
    mapping = parse_mapping(
        '[[peta]]\ngrup = "A"\nlanes = ["L1"]\n\n'
        '[[peta]]\natribut = "departmentNumber"\nnilai = "X"\nroles = ["auditor"]\n'
    )
    assert mapping.grant_for(["CN=a,OU=Grup,DC=kantor"]).lanes == ("L1",)
    both = mapping.grant_for(["a"], {"departmentNumber": ["x"]})
    assert (both.lanes, both.roles) == (("L1",), ("aktor", "auditor"))
    assert mapping.grant_for(["b"]).empty


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[[peta]]\ngrup = "a"\nlanes = ["L"]\nroles = ["raja"]\n', "aturan [[peta]] ke-1 (baris 1), kunci 'roles'"),
        ('# komentar\n\n[[peta]]\ngrup = "a"\nlanes = "L"\n', "(baris 3), kunci 'lanes'"),
        ('[[peta]]\ngrup = "a"\nlanes = ["L"]\n[[peta]]\nlanes = ["L"]\n', "ke-2 (baris 4): isi tepat satu"),
        ('[[peta]]\ngrup = "a"\nlanes = ["L"]\nlead_lanes = ["M"]\n', "kunci 'lead_lanes': M harus juga ada"),
        ('[[peta]]\ngrup = "a"\nlane = ["L"]\n', "kunci tidak dikenal / unknown key lane"),
        ('[[peta]]\ngrup = "a"\n', "tidak memberi lane maupun peran"),
        ('[[peta]]\natribut = "title"\nroles = ["auditor"]\n', "'atribut' memerlukan 'nilai'"),
        ("[[peta]\n", "bukan TOML yang sah"),
        ("[grup]\nx = 1\n", "kunci tidak dikenal / unknown key grup"),
    ],
)
def test_a_mistake_in_the_mapping_file_is_named(text, named):
    with pytest.raises(MappingError) as refused:
        parse_mapping(text)
    assert named in refused.value.message


def test_the_app_does_not_start_with_a_broken_mapping_file(settings: Settings, tmp_path: Path):
    broken = tmp_path / "pemetaan.toml"
    broken.write_text('[[peta]]\ngrup = "a"\nlanes = ["L"]\nroles = ["raja"]\n', encoding="utf-8")
    with pytest.raises(MappingError, match="peran tidak dikenal"):
        create_app({"SOPFLOW_SETTINGS": replace(settings, identity_mapping_file=broken)})
    with pytest.raises(MappingError, match="tidak dapat dibaca"):
        create_app({"SOPFLOW_SETTINGS": replace(settings, identity_mapping_file=tmp_path / "tidak-ada.toml")})


def test_directory_settings_are_read_from_the_environment_and_checked(tmp_path: Path):
    env = {
        "SOPFLOW_DATA_DIR": str(tmp_path),
        "LDAP_URL": "ldaps://dc01.kantor.go.id",
        "LDAP_USER_BASE": "ou=people,dc=kantor",
        "LDAP_START_TLS": "ya",
        "IDENTITY_MAPPING_FILE": str(MAPPING),
        "LOCAL_LOGIN": "admin_only",
        "OIDC_ISSUER": "https://sso.kantor.go.id/realms/dinas",
        "OIDC_CLIENT_ID": "sopflow",
    }
    settings = Settings.from_env(environ=env)
    assert (settings.ldap_enabled, settings.oidc_enabled, settings.ldap_start_tls, settings.local_login) == (
        True,
        True,
        True,
        "admin_only",
    )
    assert settings.identity_mapping_file == MAPPING
    for broken, message in (
        ({"LOCAL_LOGIN": "semua"}, "LOCAL_LOGIN"),
        ({"OIDC_CLIENT_ID": ""}, "OIDC_CLIENT_ID kosong"),
        ({"IDENTITY_MAPPING_FILE": ""}, "memerlukan IDENTITY_MAPPING_FILE"),
        ({"LDAP_USER_FILTER": "(uid=x)"}, "harus memuat {username}"),
    ):
        with pytest.raises(DeploymentError, match=message):
            Settings.from_env(environ={**env, **broken})
