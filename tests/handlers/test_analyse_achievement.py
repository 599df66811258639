"""Step 8: categories at the band boundaries, comparison with the previous quarter, follow-ups."""

from __future__ import annotations

import pytest

from handlers.analyse_achievement import analyse_achievement
from sopflow.plugins import HandlerError


def make_rekap(periode: str, values: dict[str, list[float]], serap: dict[str, tuple[int, int]] | None = None) -> dict:
    """A rekap whose indicators have target 100 (naik), so realisasi == capaian."""
    per_bidang = []
    for bidang, realisasi in values.items():
        pagu, real = (serap or {}).get(bidang, (100, 80))
        per_bidang.append(
            {
                "bidang": bidang,
                "indikator": [
                    {
                        "kode": f"{bidang[:3].upper()}-{n}",
                        "indikator": f"Indikator {bidang} {n}",
                        "satuan": "%",
                        "target": 100,
                        "realisasi": r,
                        "polaritas": "naik",
                    }
                    for n, r in enumerate(realisasi, start=1)
                ],
                "anggaran": [
                    {
                        "kode_kegiatan": f"KG-{bidang[:3].upper()}",
                        "kegiatan": f"Kegiatan {bidang}",
                        "pagu": pagu,
                        "realisasi": real,
                    }
                ],
            }
        )
    return {"periode": periode, "per_bidang": per_bidang}


BOUNDARIES = [90, 90.5, 91, 100, 120, 50, 50.5]


def test_band_boundaries_through_the_handler(ctx):
    analisis = analyse_achievement(
        {
            "periode": "2026-TW3",
            "rekap": make_rekap("2026-TW3", {"Statistik": BOUNDARIES}),
            "sebelumnya": None,
        },
        ctx,
    )
    got = [(i["capaian"], i["kategori"], i["melampaui_target"]) for i in analisis["indikator"]]
    assert got == [
        (90.0, "Tinggi", False),
        (90.5, "Tinggi", False),
        (91.0, "Sangat Tinggi", False),
        (100.0, "Sangat Tinggi", False),
        (120.0, "Sangat Tinggi", True),
        (50.0, "Sangat Rendah", False),
        (50.5, "Sangat Rendah", False),
    ]
    assert analisis["ringkasan"]["jumlah_per_kategori"] == {
        "Sangat Tinggi": 3,
        "Tinggi": 2,
        "Sedang": 0,
        "Rendah": 0,
        "Sangat Rendah": 2,
    }
    assert analisis["aturan_kategori"].startswith("Capaian dibulatkan dua angka desimal")
    assert analisis["perbandingan"] is None and "Tidak ada data" in analisis["catatan_perbandingan"]


def test_summary_per_bidang_and_overall(ctx):
    rekap = make_rekap("2026-TW3", {"Statistik": [80, 60], "Persandian": [100]}, {"Persandian": (200, 50)})
    analisis = analyse_achievement({"periode": "2026-TW3", "rekap": rekap, "sebelumnya": None}, ctx)
    statistik, persandian = analisis["per_bidang"]
    assert (statistik["rata_rata_capaian"], statistik["kategori_rata_rata"]) == (70.0, "Sedang")
    assert persandian["penyerapan_anggaran"] == 25.0
    assert analisis["ringkasan"]["rata_rata_capaian"] == 80.0  # mean over indicators, not over Bidang
    assert analisis["ringkasan"]["jumlah_pagu"] == 300 and analisis["ringkasan"]["penyerapan_anggaran"] == 43.33


def test_comparison_with_previous_quarter(ctx):
    previous = analyse_achievement(
        {
            "periode": "2026-TW2",
            "rekap": make_rekap("2026-TW2", {"Statistik": [70, 50], "Persandian": [90]}),
            "sebelumnya": None,
        },
        ctx,
    )
    current = analyse_achievement(
        {
            "periode": "2026-TW3",
            "rekap": make_rekap("2026-TW3", {"Statistik": [80, 60], "Persandian": [85]}),
            "sebelumnya": {"periode": "2026-TW2", "analisis": previous},
        },
        ctx,
    )
    comparison = current["perbandingan"]
    assert comparison["periode_sebelumnya_label"] == "Triwulan II Tahun 2026"
    assert [
        (b["bidang"], b["rata_rata_capaian_sebelumnya"], b["selisih_capaian"]) for b in comparison["per_bidang"]
    ] == [
        ("Statistik", 60.0, 10.0),
        ("Persandian", 90.0, -5.0),
    ]
    assert comparison["ringkasan"]["rata_rata_capaian_sebelumnya"] == 70.0
    assert comparison["ringkasan"]["selisih_capaian"] == 5.0  # 75 - 70
    assert comparison["ringkasan"]["selisih_penyerapan"] == 0.0
    assert comparison["indikator"][0] == {
        "kode": "STA-1",
        "bidang": "Statistik",
        "indikator": "Indikator Statistik 1",
        "capaian": 80.0,
        "capaian_sebelumnya": 70.0,
        "selisih": 10.0,
    }


def test_previous_of_same_or_later_periode_is_not_compared(ctx):
    rekap = make_rekap("2026-TW3", {"Statistik": [80]})
    previous = analyse_achievement({"periode": "2026-TW3", "rekap": rekap, "sebelumnya": None}, ctx)
    analisis = analyse_achievement(
        {"periode": "2026-TW3", "rekap": rekap, "sebelumnya": {"periode": "2026-TW3", "analisis": previous}},
        ctx,
    )
    assert analisis["perbandingan"] is None
    assert "tidak lebih awal" in analisis["catatan_perbandingan"]


def test_malformed_previous_is_an_error(ctx):
    rekap = make_rekap("2026-TW3", {"Statistik": [80]})
    with pytest.raises(HandlerError) as info:
        analyse_achievement({"periode": "2026-TW3", "rekap": rekap, "sebelumnya": {"periode": "2026-TW2"}}, ctx)
    assert info.value.errors[0]["field"] == "sebelumnya"


def test_follow_ups_low_categories_and_low_absorption(ctx):
    rekap = make_rekap(
        "2026-TW3",
        {"Statistik": [95, 65, 40, 70], "Persandian": [100]},
        {"Statistik": (1000, 700), "Persandian": (1000, 600)},
    )
    analisis = analyse_achievement({"periode": "2026-TW3", "rekap": rekap, "sebelumnya": None}, ctx)
    tindak = analisis["perlu_tindak_lanjut"]
    assert [(i["kode"], i["kategori"], i["alasan"]) for i in tindak["indikator"]] == [
        ("STA-2", "Rendah", "kategori Rendah"),
        ("STA-3", "Sangat Rendah", "kategori Sangat Rendah"),
    ]
    assert [(k["kode_kegiatan"], k["penyerapan"], k["batas"]) for k in tindak["kegiatan"]] == [("KG-PER", 60.0, 65)]
    assert tindak["jumlah"] == 3


def test_follow_up_threshold_and_quarter_specific_absorption(ctx):
    ctx.config["batas_capaian_tindak_lanjut"] = 75
    rekap = make_rekap("2026-TW4", {"Statistik": [70]}, {"Statistik": (1000, 850)})
    tindak = analyse_achievement({"periode": "2026-TW4", "rekap": rekap, "sebelumnya": None}, ctx)[
        "perlu_tindak_lanjut"
    ]
    assert [(i["kategori"], i["alasan"]) for i in tindak["indikator"]] == [("Sedang", "capaian di bawah 75%")]
    assert tindak["kegiatan"][0]["batas"] == 90  # TW4 threshold from config


def test_rekap_of_another_periode_is_rejected(ctx):
    with pytest.raises(HandlerError) as info:
        analyse_achievement(
            {"periode": "2026-TW3", "rekap": make_rekap("2026-TW2", {"Statistik": [80]}), "sebelumnya": None},
            ctx,
        )
    assert info.value.errors[0]["field"] == "rekap"


def test_sample_analysis(ctx, rekap):
    analisis = analyse_achievement({"periode": "2026-TW3", "rekap": rekap, "sebelumnya": None}, ctx)
    assert {i["kode"] for i in analisis["perlu_tindak_lanjut"]["indikator"]} == {
        "IK-APT-03",
        "IK-STA-01",
        "IK-STA-03",
        "IK-SAN-03",
    }
    assert {k["kode_kegiatan"] for k in analisis["perlu_tindak_lanjut"]["kegiatan"]} == {
        "KG-SEK-02",
        "KG-IKP-02",
        "KG-STA-01",
        "KG-SAN-02",
    }
