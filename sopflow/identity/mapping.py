"""The mapping file: directory groups (or attribute values) → sopflow lanes, lead lanes, units and roles.

The file is TOML (path in ``IDENTITY_MAPPING_FILE``), one ``[[peta]]`` table per rule::

    [[peta]]
    grup = "sopflow-bidang-ikp"          # a group name (or its DN: cn=sopflow-bidang-ikp,ou=...)
    lanes = ["Kepala Bidang"]
    units = ["Informasi dan Komunikasi Publik"]
    roles = ["aktor"]                     # default ["aktor"] when the rule gives lanes

    [[peta]]
    atribut = "departmentNumber"          # instead of grup: an attribute and its value
    nilai = "INSPEKTORAT"
    roles = ["auditor"]

A person gets the union of every rule that matches them; nothing matched means no access
(the person is refused, and retired if they had an account). :func:`load_mapping` checks
the whole file at start-up and raises :class:`MappingError` naming the rule, its line and
the key, in Indonesian with the English key names.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sopflow.access.authz import ROLE_ACTOR, ROLES
from sopflow.errors import DeploymentError

RULE_TABLE = "peta"
_RULE_KEYS = {"grup", "atribut", "nilai", "lanes", "lead_lanes", "units", "roles", "keterangan"}
_LIST_KEYS = ("lanes", "lead_lanes", "units", "roles")


class MappingError(DeploymentError):
    """The mapping file cannot be read or is not valid (the message names the line and key)."""


@dataclass(frozen=True)
class Grant:
    """What a person may do in sopflow: lanes, the lanes they head, units (Bidang) and roles."""

    lanes: tuple[str, ...] = ()
    lead_lanes: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True when the person is mapped to nothing (no lane and no role): no access."""
        return not self.lanes and not self.roles

    def as_dict(self) -> dict[str, list[str]]:
        """The grant as lists (audit payloads, comparisons with a user row)."""
        return {
            "lanes": list(self.lanes),
            "lead_lanes": list(self.lead_lanes),
            "units": list(self.units),
            "roles": list(self.roles),
        }


@dataclass(frozen=True)
class Rule:
    """One ``[[peta]]`` table: a group (or attribute=value) and what it grants."""

    grant: Grant
    line: int
    group: str | None = None
    attribute: str | None = None
    value: str | None = None

    def matches(self, groups: set[str], attributes: Mapping[str, Iterable[str]]) -> bool:
        """Tell whether a person with these (normalised) groups and attributes falls under the rule."""
        if self.group is not None:
            return self.group.lower() in groups
        values = {str(v).lower() for key, vals in attributes.items() if key.lower() == self.attribute for v in vals}
        return (self.value or "").lower() in values


@dataclass(frozen=True)
class IdentityMapping:
    """The validated mapping file."""

    rules: tuple[Rule, ...]
    path: Path | None = None
    groups: frozenset[str] = field(default=frozenset())

    def grant_for(self, groups: Iterable[str], attributes: Mapping[str, Iterable[str]] | None = None) -> Grant:
        """Return the union of the grants of every rule the person matches (an empty Grant: none)."""
        names = normalise_groups(groups)
        lanes: list[str] = []
        lead: list[str] = []
        units: list[str] = []
        roles: list[str] = []
        for rule in self.rules:
            if rule.matches(names, attributes or {}):
                for target, values in (
                    (lanes, rule.grant.lanes),
                    (lead, rule.grant.lead_lanes),
                    (units, rule.grant.units),
                    (roles, rule.grant.roles),
                ):
                    target.extend(v for v in values if v not in target)
        return Grant(tuple(lanes), tuple(lead), tuple(units), tuple(r for r in ROLES if r in roles))


def normalise_groups(groups: Iterable[str]) -> set[str]:
    """Lower-case group names; a DN also counts by its first RDN's value (``cn=x,ou=groups,…`` → ``x``)."""
    names: set[str] = set()
    for group in groups:
        text = str(group).strip().lower()
        if not text:
            continue
        names.add(text)
        first = re.match(r"^\s*[a-z0-9-]+\s*=\s*((?:\\.|[^,\\])+)", text)
        if first and "," in text:
            names.add(first.group(1).strip())
    return names


def load_mapping(path: str | Path) -> IdentityMapping:
    """Read and validate the mapping file; raise MappingError naming the rule, line and key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(
            f"Berkas pemetaan identitas (IDENTITY_MAPPING_FILE) tidak dapat dibaca / cannot be read: {path} "
            f"({exc.strerror or exc})."
        ) from None
    return parse_mapping(text, path)


def parse_mapping(text: str, path: Path | None = None) -> IdentityMapping:
    """Validate the mapping file's text (see :func:`load_mapping`)."""
    where = str(path) if path else "pemetaan identitas"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{where}: bukan TOML yang sah / not valid TOML: {exc}.") from None
    unknown = sorted(set(data) - {RULE_TABLE})
    if unknown:
        raise MappingError(
            f"{where}: kunci tidak dikenal / unknown key {', '.join(unknown)}; "
            f"yang dikenal hanya tabel [[{RULE_TABLE}]]."
        )
    tables = data.get(RULE_TABLE)
    if not isinstance(tables, list) or not tables:
        raise MappingError(f"{where}: tidak ada aturan [[{RULE_TABLE}]] / no [[{RULE_TABLE}]] rule.")
    lines = _rule_lines(text)
    rules = []
    for index, table in enumerate(tables):
        line = lines[index] if index < len(lines) else 0
        rules.append(_rule(table, f"{where}, aturan [[{RULE_TABLE}]] ke-{index + 1} (baris {line})", line))
    groups = frozenset(r.group for r in rules if r.group)
    return IdentityMapping(tuple(rules), path, groups)


def _rule(table: Any, where: str, line: int) -> Rule:
    if not isinstance(table, dict):
        raise MappingError(f"{where}: harus berupa tabel / must be a table.")
    unknown = sorted(set(table) - _RULE_KEYS)
    if unknown:
        raise MappingError(
            f"{where}: kunci tidak dikenal / unknown key {', '.join(unknown)}; "
            f"yang dikenal: {', '.join(sorted(_RULE_KEYS))}."
        )
    group, attribute, value = table.get("grup"), table.get("atribut"), table.get("nilai")
    if (group is None) == (attribute is None):
        raise MappingError(f"{where}: isi tepat satu dari 'grup' atau 'atribut' / give exactly one of grup, atribut.")
    for key, item in (("grup", group), ("atribut", attribute), ("nilai", value)):
        if item is not None and (not isinstance(item, str) or not item.strip()):
            raise MappingError(f"{where}, kunci '{key}': harus teks yang tidak kosong / must be a non-empty string.")
    if attribute is not None and value is None:
        raise MappingError(f"{where}: 'atribut' memerlukan 'nilai' / atribut needs nilai.")
    if group is None and value is not None and attribute is None:
        raise MappingError(f"{where}: 'nilai' hanya bersama 'atribut' / nilai only with atribut.")
    lists: dict[str, tuple[str, ...]] = {}
    for key in _LIST_KEYS:
        items = table.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
            raise MappingError(
                f"{where}, kunci '{key}': harus daftar teks, misalnya {key} = [\"...\"] / must be a list of strings."
            )
        lists[key] = tuple(dict.fromkeys(i.strip() for i in items))
    unknown_roles = [r for r in lists["roles"] if r not in ROLES]
    if unknown_roles:
        raise MappingError(
            f"{where}, kunci 'roles': peran tidak dikenal / unknown role {', '.join(unknown_roles)}; "
            f"peran yang ada: {', '.join(ROLES)}."
        )
    stray = [lane for lane in lists["lead_lanes"] if lane not in lists["lanes"]]
    if stray:
        raise MappingError(
            f"{where}, kunci 'lead_lanes': {', '.join(stray)} harus juga ada di 'lanes' / must also be in lanes."
        )
    roles = lists["roles"] or ((ROLE_ACTOR,) if lists["lanes"] else ())
    if not lists["lanes"] and not roles:
        raise MappingError(f"{where}: aturan tidak memberi lane maupun peran / the rule grants no lane and no role.")
    grant = Grant(lists["lanes"], lists["lead_lanes"], lists["units"], roles)
    return Rule(
        grant,
        line,
        group=group.strip() if group else None,
        attribute=attribute.strip().lower() if attribute else None,
        value=value.strip() if value else None,
    )


def _rule_lines(text: str) -> list[int]:
    """Line numbers (1-based) of the ``[[peta]]`` headers, in order."""
    pattern = re.compile(rf"^\s*\[\[\s*{RULE_TABLE}\s*\]\]")
    return [number for number, line in enumerate(text.splitlines(), start=1) if pattern.match(line)]
