"""Validate the case's start data (indicators and activities from the Renja) and group it by Bidang.

One job: every handler that receives ``indikator`` and ``kegiatan`` from task data goes
through :func:`load_renja`, so the same structural rules apply everywhere:

* ``indikator`` items: ``kode`` (unique), ``bidang``, ``program``, ``kode_kegiatan``
  (must exist in ``kegiatan`` with the same Bidang), ``indikator``, ``satuan``,
  ``target`` (number), ``polaritas`` (``naik``/``turun``);
* ``kegiatan`` items: ``kode_kegiatan`` (unique), ``bidang``, ``program``, ``kegiatan``,
  ``pagu`` (number >= 0, Rp).

Bidang order is the order of first appearance in ``indikator``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeGuard

from handlers.capaian import POLARITAS
from handlers.error_list import ErrorList


@dataclass(frozen=True)
class Renja:
    """Validated start data: indicators and activities, plus the Bidang order."""

    indikator: list[dict[str, Any]]
    kegiatan: list[dict[str, Any]]
    bidang: list[str]

    def indikator_bidang(self, bidang: str) -> list[dict[str, Any]]:
        """Return the indicators of one Bidang, in input order."""
        return [i for i in self.indikator if i["bidang"] == bidang]

    def kegiatan_bidang(self, bidang: str) -> list[dict[str, Any]]:
        """Return the activities of one Bidang, in input order."""
        return [k for k in self.kegiatan if k["bidang"] == bidang]

    def nama_kegiatan(self, kode_kegiatan: str) -> str:
        """Return the activity name of a kode_kegiatan ("" if unknown)."""
        return next((k["kegiatan"] for k in self.kegiatan if k["kode_kegiatan"] == kode_kegiatan), "")


def load_renja(indikator: object, kegiatan: object, *, require_target: bool = True) -> Renja:
    """Validate ``indikator``/``kegiatan`` and return a :class:`Renja`.

    With ``require_target`` (format generation) every target must be a number > 0;
    without it a target of 0 or null passes here so the workbook reader can report it
    on its exact cell. Raises HandlerError listing every problem (fields ``indikator``
    and ``kegiatan``).
    """
    errors = ErrorList()
    kegiatan_items = _check_kegiatan(kegiatan, errors)
    bidang_kegiatan = {k["kode_kegiatan"]: k["bidang"] for k in kegiatan_items}
    indikator_items = _check_indikator(indikator, bidang_kegiatan, require_target, errors)
    bidang: list[str] = []
    for item in indikator if isinstance(indikator, list) else []:  # invalid rows still name their Bidang
        name = _text(item, "bidang") if isinstance(item, dict) else ""
        if name and name not in bidang:
            bidang.append(name)
    for i, item in enumerate(kegiatan_items):
        if item["bidang"] not in bidang:
            errors.add(
                f"Kegiatan ke-{i + 1} ({item['kode_kegiatan']}): Bidang '{item['bidang']}' tidak memiliki indikator.",
                "bidang_without_indicator",
                field="kegiatan",
            )
    if not indikator_items and not errors:
        errors.add("Daftar indikator kosong; isi indikator kinerja dari Renja.", "empty", field="indikator")
    errors.raise_if_any("Data indikator/kegiatan tidak sah.")
    return Renja(indikator_items, kegiatan_items, bidang)


def _text(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    return value.strip() if isinstance(value, str) else ""


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_kegiatan(raw: object, errors: ErrorList) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        errors.add("Daftar kegiatan harus berupa daftar (list).", "not_a_list", field="kegiatan")
        return []
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(raw, start=1):
        where = f"Kegiatan ke-{i}"
        if not isinstance(item, dict):
            errors.add(f"{where} harus berupa objek.", "not_an_object", field="kegiatan")
            continue
        problems = [f"'{k}' kosong" for k in ("kode_kegiatan", "bidang", "kegiatan") if not _text(item, k)]
        pagu = item.get("pagu")
        if not _number(pagu) or pagu < 0:
            problems.append(f"pagu {pagu!r} harus angka rupiah >= 0")
        kode = _text(item, "kode_kegiatan")
        if kode and kode in seen:
            problems.append(f"kode kegiatan '{kode}' ganda")
        if problems:
            errors.add(f"{where}: " + "; ".join(problems) + ".", "invalid_kegiatan", field="kegiatan")
            continue
        seen.add(kode)
        items.append(
            {
                "kode_kegiatan": kode,
                "bidang": _text(item, "bidang"),
                "program": _text(item, "program"),
                "kegiatan": _text(item, "kegiatan"),
                "pagu": pagu,
            }
        )
    return items


def _check_indikator(
    raw: object, bidang_kegiatan: dict[str, str], require_target: bool, errors: ErrorList
) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        errors.add("Daftar indikator harus berupa daftar (list).", "not_a_list", field="indikator")
        return []
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(raw, start=1):
        where = f"Indikator ke-{i}"
        if not isinstance(item, dict):
            errors.add(f"{where} harus berupa objek.", "not_an_object", field="indikator")
            continue
        kode = _text(item, "kode")
        where = f"Indikator ke-{i}" + (f" ({kode})" if kode else "")
        problems = [f"'{k}' kosong" for k in ("kode", "bidang", "indikator", "satuan") if not _text(item, k)]
        target = item.get("target")
        if require_target and (not _number(target) or target <= 0):
            problems.append(f"target {target!r} harus angka lebih dari 0")
        elif not require_target and target is not None and not _number(target):
            problems.append(f"target {target!r} harus angka")
        polaritas = _text(item, "polaritas")
        if polaritas not in POLARITAS:
            problems.append(f"polaritas {item.get('polaritas')!r} harus 'naik' atau 'turun'")
        kode_kegiatan = _text(item, "kode_kegiatan")
        if kode_kegiatan not in bidang_kegiatan:
            problems.append(f"kode kegiatan {kode_kegiatan!r} tidak ada dalam daftar kegiatan")
        elif bidang_kegiatan[kode_kegiatan] != _text(item, "bidang"):
            problems.append(f"kegiatan '{kode_kegiatan}' milik Bidang '{bidang_kegiatan[kode_kegiatan]}'")
        if kode and kode in seen:
            problems.append(f"kode indikator '{kode}' ganda")
        if problems:
            errors.add(f"{where}: " + "; ".join(problems) + ".", "invalid_indikator", field="indikator")
            continue
        seen.add(kode)
        items.append(
            {
                "kode": kode,
                "bidang": _text(item, "bidang"),
                "program": _text(item, "program"),
                "kode_kegiatan": kode_kegiatan,
                "indikator": _text(item, "indikator"),
                "satuan": _text(item, "satuan"),
                "target": target,
                "polaritas": polaritas,
            }
        )
    return items
