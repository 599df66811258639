"""Parse the reporting period string ``"YYYY-TWn"`` used in every monev case.

One job: turn ``"2026-TW3"`` into its parts (tahun 2026, triwulan 3), the label shown in
documents ("Triwulan III Tahun 2026") and an ordering key, and reject anything else
with a HandlerError in Bahasa Indonesia.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sopflow.plugins import HandlerError

_PATTERN = re.compile(r"^(\d{4})-TW([1-4])$")
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


@dataclass(frozen=True)
class Periode:
    """A quarter of a year: ``kode`` is the canonical string, e.g. ``"2026-TW3"``."""

    tahun: int
    triwulan: int

    @property
    def kode(self) -> str:
        """Return the canonical string, e.g. ``"2026-TW3"``."""
        return f"{self.tahun}-TW{self.triwulan}"

    @property
    def label(self) -> str:
        """Return the Indonesian label, e.g. ``"Triwulan III Tahun 2026"``."""
        return f"Triwulan {_ROMAN[self.triwulan]} Tahun {self.tahun}"

    @property
    def triwulan_romawi(self) -> str:
        """Return the quarter as a Roman numeral (``"III"``)."""
        return _ROMAN[self.triwulan]

    @property
    def urutan(self) -> int:
        """Return a number that orders periods in time (quarters since year 0)."""
        return self.tahun * 4 + self.triwulan - 1


def parse_periode(value: object, field: str = "periode") -> Periode:
    """Parse ``"YYYY-TWn"`` (n = 1..4) into a :class:`Periode`.

    Raises HandlerError (with ``field``) when the value is not such a string.
    """
    text = value.strip() if isinstance(value, str) else ""
    match = _PATTERN.match(text)
    if not match:
        message = f"Periode {value!r} tidak sah; gunakan format 'TAHUN-TWn', misalnya '2026-TW3' (n = 1 sampai 4)."
        raise HandlerError(message, [{"message": message, "field": field, "reason": "format periode salah"}])
    return Periode(tahun=int(match.group(1)), triwulan=int(match.group(2)))
