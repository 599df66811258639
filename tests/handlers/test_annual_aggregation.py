"""The annual aggregation of the evaluation SOP (operator ``aggregate_annual_performance``), on its own.

The four quarters are small rekaps written out here; every expected figure is computed by
hand in the test (not with the handler's helpers). Files go through the real file store.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from handlers.evaluasi_tahunan import aggregate_annual_performance
from sopflow.engine.files import CommandFiles, FileStore
from sopflow.plugins import HandlerContext, HandlerError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ctx(tmp_path: Path) -> HandlerContext:
    config = json.loads((ROOT / "processes" / "evaluasi_kinerja.config.json").read_text(encoding="utf-8"))
    return HandlerContext(
        files=CommandFiles(FileStore(tmp_path / "files")),
        templates_dir=ROOT / "templates",
        config=config,
        now=datetime(2027, 1, 20, 9, 0),
    )


# kode -> (bidang, target, polaritas, realisasi kumulatif TW1..TW4)
DATA = {
    "A-1": ("Bidang A", 100, "naik", (20, 45, 70, 95)),
    "A-2": ("Bidang A", 10, "turun", (14, 12, 11, 12)),
    "B-1": ("Bidang B", 80, "naik", (10, 30, 50, 100)),
    "B-2": ("Bidang B", 4, "naik", (1, 1, 2, 2)),
}


def _rekap(quarter: int, drop: str | None = None) -> dict[str, Any]:
    per_bidang: dict[str, list[dict[str, Any]]] = {}
    for kode, (bidang, target, polaritas, realisasi) in DATA.items():
        if kode == drop:
            continue
        per_bidang.setdefault(bidang, []).append(
            {
                "kode": kode,
                "indikator": f"Indikator {kode}",
                "satuan": "%",
                "target": target,
                "realisasi": realisasi[quarter - 1],
                "polaritas": polaritas,
                "capaian": 0,  # deliberately wrong: the aggregation recomputes from target and realisasi
            }
        )
    return {
        "periode": f"2026-TW{quarter}",
        "data_contoh": quarter == 2,
        "per_bidang": [{"bidang": b, "indikator": rows} for b, rows in per_bidang.items()],
        "jumlah_pagu": 1_000_000,
        "jumlah_realisasi_anggaran": 250_000 * quarter,
        "penyerapan_anggaran": 25.0 * quarter,
    }


def _kasus(ctx: HandlerContext, quarters=(1, 2, 3, 4), drop_tw1: str | None = None) -> list[dict[str, Any]]:
    cases = []
    for q in quarters:
        ref = ctx.files.put(f"laporan TW{q}".encode(), f"laporan_monev_kinerja_2026-TW{q}.docx", "application/x")
        cases.append(
            {
                "case_id": f"kasus-{q}",
                "periode": f"2026-TW{q}",
                "hasil": {"rekap": _rekap(q, drop_tw1 if q == 1 else None)},
                "dokumen": [ref],
            }
        )
    return cases


def test_annual_capaian_trend_band_by_hand(ctx):
    result = aggregate_annual_performance({"periode": "2026", "kasus_monev": _kasus(ctx)}, ctx)
    rows = {i["kode"]: i for i in result["indikator"]}
    # 95/100 = 95 % -> Sangat Tinggi (>= 91); trend 20, 45, 70, 95; change +75
    assert rows["A-1"]["capaian_tahunan"] == 95.0 and rows["A-1"]["kategori"] == "Sangat Tinggi"
    assert rows["A-1"]["tren"] == [20.0, 45.0, 70.0, 95.0]
    assert rows["A-1"]["perubahan"] == 75.0 and rows["A-1"]["arah"] == "meningkat"
    # A-2 lower is better: (2*10 - 12)/10 = 80 % -> Tinggi; TW1 (20-14)/10 = 60, TW3 (20-11)/10 = 90
    assert rows["A-2"]["capaian_tahunan"] == 80.0 and rows["A-2"]["kategori"] == "Tinggi"
    assert rows["A-2"]["tren"] == [60.0, 80.0, 90.0, 80.0]
    # B-1: 100/80 = 125 % -> Sangat Tinggi, above target
    assert rows["B-1"]["capaian_tahunan"] == 125.0 and rows["B-1"]["melampaui_target"] is True
    # B-2: 2/4 = 50 % -> Sangat Rendah; TW1 1/4 = 25; change +25
    assert rows["B-2"]["capaian_tahunan"] == 50.0 and rows["B-2"]["kategori"] == "Sangat Rendah"
    assert rows["B-2"]["perubahan"] == 25.0
    bidang = {b["bidang"]: b for b in result["per_bidang"]}
    assert bidang["Bidang A"]["rata_rata_capaian"] == 87.5  # (95 + 80) / 2
    assert bidang["Bidang A"]["kategori_rata_rata"] == "Tinggi"
    assert bidang["Bidang B"]["rata_rata_capaian"] == 87.5  # (125 + 50) / 2
    assert bidang["Bidang A"]["rata_rata_per_triwulan"] == [40.0, 62.5, 80.0, 87.5]  # (20+60)/2, (45+80)/2 ...
    assert result["rata_rata_capaian"] == 87.5  # (95 + 80 + 125 + 50) / 4
    assert result["jumlah_per_kategori"] == {
        "Sangat Tinggi": 2,
        "Tinggi": 1,
        "Sedang": 0,
        "Rendah": 0,
        "Sangat Rendah": 1,
    }
    assert result["jumlah_melampaui_target"] == 1
    assert result["anggaran"] == {"jumlah_pagu": 1_000_000, "jumlah_realisasi": 1_000_000, "penyerapan": 100.0}
    assert result["data_contoh"] is True  # one quarter was sample data
    assert [s["periode"] for s in result["sumber"]] == ["2026-TW1", "2026-TW2", "2026-TW3", "2026-TW4"]
    assert result["sumber"][0]["dokumen"] == ["laporan_monev_kinerja_2026-TW1.docx"]


def test_quarters_arrive_in_any_order_and_an_indicator_missing_early_has_no_point(ctx):
    kasus = _kasus(ctx, drop_tw1="B-1")
    result = aggregate_annual_performance({"periode": "2026", "kasus_monev": list(reversed(kasus))}, ctx)
    rows = {i["kode"]: i for i in result["indikator"]}
    assert rows["B-1"]["tren"] == [None, 37.5, 62.5, 125.0]  # 30/80, 50/80, 100/80
    assert rows["B-1"]["perubahan"] is None and rows["B-1"]["arah"] is None
    assert rows["A-1"]["tren"][0] == 20.0


def test_missing_quarters_are_refused_in_indonesian(ctx):
    with pytest.raises(HandlerError) as info:
        aggregate_annual_performance({"periode": "2026", "kasus_monev": _kasus(ctx, quarters=(1, 3))}, ctx)
    assert "belum lengkap" in info.value.message
    assert "Triwulan II, Triwulan IV" in info.value.message
    assert info.value.errors[0]["field"] == "kasus_monev"


def test_cases_of_another_year_do_not_count(ctx):
    kasus = _kasus(ctx)
    kasus[3]["periode"] = "2025-TW4"
    with pytest.raises(HandlerError, match="Triwulan IV"):
        aggregate_annual_performance({"periode": "2026", "kasus_monev": kasus}, ctx)


def test_malformed_year_and_lost_archive_are_refused(ctx):
    with pytest.raises(HandlerError, match="tahun empat angka"):
        aggregate_annual_performance({"periode": "2026-TW4", "kasus_monev": _kasus(ctx)}, ctx)
    kasus = _kasus(ctx)
    kasus[2]["dokumen"] = [{"sha256": "0" * 64, "filename": "hilang.docx", "media_type": "x", "size": 1}]
    with pytest.raises(HandlerError, match=r"2026-TW3 \(hilang\.docx\) tidak dapat dibaca"):
        aggregate_annual_performance({"periode": "2026", "kasus_monev": kasus}, ctx)


def test_a_quarter_without_rekap_is_refused(ctx):
    kasus = _kasus(ctx)
    kasus[1]["hasil"] = {}
    with pytest.raises(HandlerError, match=r"2026-TW2 .* tidak memiliki rekap"):
        aggregate_annual_performance({"periode": "2026", "kasus_monev": kasus}, ctx)
