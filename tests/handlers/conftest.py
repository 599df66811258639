"""Fixtures for handler tests: an in-memory FileAccess, the real config, sample data."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from handlers import isian_layout as layout
from handlers.merge_monitoring_results import merge_monitoring_results
from sopflow.plugins import HandlerContext, HandlerError

ROOT = Path(__file__).resolve().parents[2]

SAMPLES = ROOT / "samples" / "monev_kinerja"
PERIODE = "2026-TW3"
BIDANG = ["Sekretariat", "Informasi dan Komunikasi Publik", "Aplikasi Informatika", "Statistik", "Persandian"]


class MemoryFiles:
    """In-memory FileAccess: bytes keyed by SHA-256; records every put and tag."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.records: list[dict[str, Any]] = []

    def put(
        self,
        data: bytes,
        filename: str,
        media_type: str,
        kind: str = "dokumen",
        meta: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        sha256 = hashlib.sha256(data).hexdigest()
        self.blobs[sha256] = data
        ref = {"sha256": sha256, "filename": filename, "media_type": media_type, "size": len(data)}
        self.records.append({"op": "put", "ref": ref, "kind": kind, "meta": dict(meta or {})})
        return ref

    def get(self, ref: dict[str, Any]) -> bytes:
        if not isinstance(ref, dict) or ref.get("sha256") not in self.blobs:
            raise HandlerError(f"Berkas {ref!r} tidak ditemukan di penyimpanan.")
        return self.blobs[ref["sha256"]]

    def tag(self, ref: dict[str, Any], kind: str, meta: dict[str, Any] | None = None) -> dict[str, Any]:
        self.get(ref)
        self.records.append({"op": "tag", "ref": dict(ref), "kind": kind, "meta": dict(meta or {})})
        return ref


@pytest.fixture
def files() -> MemoryFiles:
    return MemoryFiles()


@pytest.fixture
def config() -> dict[str, Any]:
    return json.loads((ROOT / "processes" / "monev_kinerja.config.json").read_text(encoding="utf-8"))


@pytest.fixture
def ctx(files: MemoryFiles, config: dict[str, Any]) -> HandlerContext:
    return HandlerContext(
        files=files, templates_dir=ROOT / "templates", config=config, now=datetime(2026, 10, 12, 9, 30)
    )


@pytest.fixture
def start_data() -> dict[str, Any]:
    return json.loads((SAMPLES / "indikator_2026.json").read_text(encoding="utf-8"))


def _sample_bytes(bidang: str) -> bytes:
    return (SAMPLES / "lembar_isian" / f"{layout.slug(bidang)}.xlsx").read_bytes()


def _edit_xlsx(data: bytes, change: Callable[[Workbook], None]) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def sample_bytes() -> Callable[[str], bytes]:
    """Return a function giving the committed sample Lembar Isian of one Bidang."""
    return _sample_bytes


@pytest.fixture
def edit_xlsx() -> Callable[[bytes, Callable[[Workbook], None]], bytes]:
    """Return a function applying a change to a workbook, as a user editing in Excel would."""
    return _edit_xlsx


@pytest.fixture
def bidang_names() -> list[str]:
    return list(BIDANG)


@pytest.fixture
def isian_bidang(files: MemoryFiles) -> list[dict[str, Any]]:
    """The step-2 output with every committed sample uploaded."""
    return [
        {
            "bidang": b,
            "lembar_isian": files.put(_sample_bytes(b), f"{layout.slug(b)}.xlsx", layout.MEDIA_TYPE_XLSX),
            "catatan": "",
        }
        for b in BIDANG
    ]


@pytest.fixture
def rekap(ctx: HandlerContext, start_data: dict[str, Any], isian_bidang: list[dict[str, Any]]) -> dict[str, Any]:
    """The step-3 rekap of the sample data."""
    from handlers.aggregate_performance_data import aggregate_performance_data

    params = {
        "periode": PERIODE,
        **{k: start_data[k] for k in ("indikator", "kegiatan")},
        "isian_bidang": isian_bidang,
    }
    return aggregate_performance_data(params, ctx)


@pytest.fixture
def hasil_monitoring(ctx: HandlerContext, rekap: dict[str, Any]) -> dict[str, Any]:
    """Step 5's merged monitoring results for every Bidang of ``rekap`` (one kendala holds HTML-like text)."""
    jadwal = [
        {
            "bidang": b["bidang"],
            "tanggal": "2026-10-15",
            "petugas": "Rahmadi",
            "tanggal_kunjungan": "2026-10-16",
            "petugas_monev": "Siti Aisyah",
            "kendala": "Jaringan & listrik <padam>" if b["bidang"] == "Aplikasi Informatika" else "",
            "faktor_pendorong": "Dukungan pimpinan",
            "faktor_penghambat": "",
            "rencana_tindak_lanjut": "Koordinasi dengan PLN\nPengadaan UPS",
        }
        for b in rekap["per_bidang"]
    ]
    return merge_monitoring_results({"jadwal_monev": jadwal, "rekap": rekap}, ctx)
