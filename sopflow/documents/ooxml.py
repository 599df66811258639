"""Canonical form of generated Office documents (.docx/.xlsx), so the same inputs give the same bytes.

Office files are zip archives whose entries carry the wall-clock time of writing, and
whose ``docProps/core.xml`` records creation and modification times. The engine stores
documents that handlers generate in canonical form — every zip entry dated with the
command's clock, the core timestamps set to it — so that a replay of a case reproduces
each document byte for byte. Uploaded files are never touched.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

_CORE = "docProps/core.xml"
_STAMP = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def canonicalise(data: bytes, when: datetime) -> bytes:
    """Return an OOXML document rewritten with entry times and core timestamps set to ``when``.

    Anything that is not an OOXML zip is returned unchanged.
    """
    if not data.startswith(b"PK"):
        return data
    try:
        source = zipfile.ZipFile(io.BytesIO(data))
        names = source.namelist()
    except zipfile.BadZipFile:
        return data
    if "[Content_Types].xml" not in names:
        return data
    stamp = max(when, datetime(1980, 1, 1)).replace(microsecond=0)
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in names:
            content = source.read(name)
            if name == _CORE:
                content = _STAMP.sub(lambda m: m.group(1) + iso + m.group(3), content)
            info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, content)
    return out.getvalue()
