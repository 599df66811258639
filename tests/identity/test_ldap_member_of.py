"""Groups from the ``memberOf`` attribute (``LDAP_GROUP_ATTRIBUTE``, the Active Directory way) on a real slapd.

slapd's memberof overlay writes ``memberOf`` on a person when a group naming them is added
online, so the people are loaded offline and the groups of ``directory.ldif`` added over LDAP.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from ldap3 import Connection, Server

from sopflow.identity.ldap_directory import LdapDirectory
from sopflow.identity.mapping import load_mapping

from .conftest import BASE, LDIF, MAPPING, PASSWORD, ROOT_DN, ROOT_PASSWORD, start_slapd, stop_process

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")


def ldif_entries(text: str) -> list[dict[str, list[str]]]:
    entries = []
    for block in text.strip().split("\n\n"):
        entry: dict[str, list[str]] = {}
        for line in block.splitlines():
            if line and not line.startswith("#"):
                key, value = line.split(": ", 1)
                entry.setdefault(key, []).append(value)
        if entry:
            entries.append(entry)
    return entries


@pytest.fixture
def member_of_url(tmp_path: Path) -> Iterator[str]:
    entries = ldif_entries(LDIF.read_text(encoding="utf-8"))
    groups = [e for e in entries if "groupOfNames" in e["objectClass"]]
    people = tmp_path / "tanpa-grup.ldif"
    people.write_text(
        "\n\n".join(
            "\n".join(f"{k}: {v}" for k, values in e.items() for v in values)
            for e in entries
            if "groupOfNames" not in e["objectClass"]
        )
        + "\n",
        encoding="utf-8",
    )
    url, process, log = start_slapd(
        tmp_path / "slapd-memberof",
        extra="modulepath /usr/lib/ldap\nmoduleload memberof\n",
        overlays="overlay memberof\n",
        ldif=people,
    )
    try:
        with Connection(Server(url), ROOT_DN, ROOT_PASSWORD, auto_bind=True) as admin:
            for group in groups:
                attributes = {k: v for k, v in group.items() if k != "dn"}
                assert admin.add(group["dn"][0], attributes=attributes), admin.result
        yield url
    finally:
        stop_process(process)
        log.close()


def test_groups_come_from_member_of_and_map_by_their_cn(ldap_settings, member_of_url):
    settings = replace(ldap_settings, ldap_url=member_of_url, ldap_group_base=None, ldap_group_attribute="memberOf")
    person = LdapDirectory(settings).authenticate("kabid_statistik", PASSWORD)
    assert person is not None
    assert f"cn=sopflow-bidang-statistik,ou=groups,{BASE}" in person.groups  # DNs, as AD gives them
    grant = load_mapping(MAPPING).grant_for(person.groups)
    assert (grant.lanes, grant.units) == (("Kepala Bidang",), ("Statistik",))
