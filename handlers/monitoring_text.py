"""Split the free-text answers of the Blanko Monev into items.

One job: a Kepala Seksi types kendala or rencana tindak lanjut as one text area, one
item per line (optionally starting with "-", "*", "•" or "1." / "1)"), or the form
sends a list of strings. Both become a list of clean, non-empty items.
"""

from __future__ import annotations

import re

_BULLET = re.compile(r"^\s*(?:[-*•–]\s*|\d{1,2}[.)]\s+)")


def butir(value: object) -> list[str]:
    """Return the non-empty items of a text (one per line) or of a list of texts.

    A lone "-" or "tidak ada" means no item.
    """
    if value is None:
        return []
    lines = value if isinstance(value, list) else str(value).splitlines()
    items = []
    for line in lines:
        text = _BULLET.sub("", str(line or "")).strip()
        if text and text.casefold() not in ("-", "tidak ada", "nihil"):
            items.append(text)
    return items
