"""Format numbers the Indonesian way for documents: 1.234.567 ; 85,5 ; 85,5% ; Rp 1.234.567.

One job: presentation of numbers in generated documents (never used for computation).
Every number a document shows goes through :func:`format_angka` (percentages through
:func:`format_persen`, money through :func:`format_rupiah`), so there is one format.
"""

from __future__ import annotations

import re

# a number written the English/Python way directly followed by "%" (e.g. "65%", "66.5%")
_PERSEN_DALAM_TEKS = re.compile(r"(?<![\d.,])(\d+(?:\.\d+)?)%")


def format_angka(value: float | int | None, desimal: int = 2) -> str:
    """Return ``value`` with '.' thousands and ',' decimals, trailing zeros dropped; "-" for None."""
    if value is None:
        return "-"
    text = f"{value:,.{desimal}f}" if desimal > 0 else f"{round(value):,}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_persen(value: float | None, desimal: int = 2) -> str:
    """Return e.g. ``"85,5%"``; "-" for None."""
    return "-" if value is None else f"{format_angka(value, desimal)}%"


def format_rupiah(value: float | int | None) -> str:
    """Return e.g. ``"Rp 1.234.567"`` (whole rupiah); "-" for None."""
    return "-" if value is None else f"Rp {format_angka(value, 0)}"


def format_selisih(value: float | None, desimal: int = 2) -> str:
    """Return a signed difference in percentage points, e.g. ``"+4,25"`` / ``"-1,5"``; "-" for None."""
    if value is None:
        return "-"
    sign = "+" if value > 0 else ""
    return f"{sign}{format_angka(value, desimal)}"


def format_persen_dalam_teks(text: object) -> str:
    """Return ``text`` with every English-style percentage ("66.5%") in the Indonesian form ("66,5%").

    For sentences built elsewhere with Python formatting (e.g. an analysis reason); numbers
    already in the Indonesian form ("90,5%") are left alone.
    """
    return _PERSEN_DALAM_TEKS.sub(lambda m: format_persen(float(m.group(1))), str(text or ""))
