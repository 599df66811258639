"""The achievement (capaian) formula and the band (kategori) lookup.

One job, shared by aggregation, analysis and the report so the rule exists once:

* higher-is-better (``polaritas = "naik"``): capaian = realisasi / target x 100;
* lower-is-better (``polaritas = "turun"``): capaian = (2 x target - realisasi) / target x 100
  (may become negative when realisasi exceeds twice the target; it is reported as is);
* target 0 or missing is an error, never a silent 0 (callers name the cell).

Band rule (also stated in the config as ``aturan_kategori``): capaian is rounded to 2
decimals, then placed in the band with the highest ``min`` that is <= the value (a
``min`` of null means "no lower bound"). Values between two bands, e.g. 90.5 between
Tinggi (max 90) and Sangat Tinggi (min 91), fall into the lower band; ``max`` is only
displayed. Values above 100 fall into the top band and are flagged
``melampaui_target``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sopflow.plugins import HandlerError

POLARITAS = ("naik", "turun")


@dataclass(frozen=True)
class Band:
    """One achievement category: ``label`` applies from ``min`` (inclusive) upward."""

    label: str
    min: float | None
    max: float | None


def hitung_capaian(realisasi: float, target: float, polaritas: str) -> float:
    """Return capaian in percent, rounded to 2 decimals.

    Raises ValueError when target is 0 or polaritas unknown; callers turn that into a
    HandlerError naming the cell or field (they know where the value came from).
    """
    if not target:
        raise ValueError("target 0")
    if polaritas == "naik":
        value = realisasi / target * 100
    elif polaritas == "turun":
        value = (2 * target - realisasi) / target * 100
    else:
        raise ValueError(f"polaritas {polaritas!r}")
    return round(value, 2)


def penyerapan(realisasi: float, pagu: float) -> float | None:
    """Return budget absorption in percent (2 decimals), or None when pagu is 0."""
    if not pagu:
        return None
    return round(realisasi / pagu * 100, 2)


def rata_rata(values: list[float]) -> float | None:
    """Return the mean rounded to 2 decimals, or None for an empty list."""
    return round(sum(values) / len(values), 2) if values else None


def load_bands(config: dict[str, Any]) -> list[Band]:
    """Read ``config["kategori_capaian"]`` into bands ordered from highest ``min`` down.

    Raises HandlerError when the list is missing, a label/min is malformed, two bands
    share a ``min``, or no band is open downward (``min`` null) so a value could fall
    below every band.
    """
    raw = config.get("kategori_capaian")
    problems: list[str] = []
    bands: list[Band] = []
    if not isinstance(raw, list) or not raw:
        problems.append("daftar 'kategori_capaian' tidak ada atau kosong")
    else:
        for i, item in enumerate(raw, start=1):
            label = item.get("label") if isinstance(item, dict) else None
            low = item.get("min") if isinstance(item, dict) else None
            high = item.get("max") if isinstance(item, dict) else None
            if not isinstance(label, str) or not label.strip():
                problems.append(f"kategori ke-{i} tidak memiliki label")
                continue
            if not all(v is None or _is_number(v) for v in (low, high)):
                problems.append(f"batas kategori '{label}' harus angka atau null")
                continue
            bands.append(Band(label.strip(), low, high))
        mins = [b.min for b in bands]
        if bands and None not in mins:
            problems.append("satu kategori harus tanpa batas bawah (min null) agar setiap nilai punya kategori")
        if len(set(mins)) != len(mins):
            problems.append("dua kategori memiliki batas bawah (min) yang sama")
    if problems:
        message = "Konfigurasi kategori capaian tidak sah: " + "; ".join(problems) + "."
        raise HandlerError(message, [{"message": message, "field": "kategori_capaian"}])
    return sorted(bands, key=lambda b: -math.inf if b.min is None else b.min, reverse=True)


def kategori(value: float | None, bands: list[Band]) -> str | None:
    """Return the band label of a capaian value (see the module rule), None for None."""
    if value is None:
        return None
    rounded = round(value, 2)
    for band in bands:
        if band.min is None or rounded >= band.min:
            return band.label
    return bands[-1].label  # unreachable: load_bands guarantees an open lower band


def melampaui_target(value: float | None) -> bool:
    """Tell whether a capaian exceeds 100 % (flagged "melampaui target")."""
    return value is not None and round(value, 2) > 100


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
