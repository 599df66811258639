"""Step 3: the rekap is computed from re-checked files; both polarities; target 0 is an error on its cell."""

from __future__ import annotations

import json

import pytest

from handlers import isian_layout as layout
from handlers.aggregate_performance_data import aggregate_performance_data
from handlers.generate_format_isian import generate_format_isian
from sopflow.plugins import HandlerError

PERIODE = "2026-TW3"


def _indikator(kode: str, bidang: str, kegiatan: str, nama: str, satuan: str, target: float, polaritas: str) -> dict:
    return {
        "kode": kode,
        "bidang": bidang,
        "program": "P",
        "kode_kegiatan": kegiatan,
        "indikator": nama,
        "satuan": satuan,
        "target": target,
        "polaritas": polaritas,
    }


SMALL_INDIKATOR = [
    _indikator("A-1", "Statistik", "K-1", "Dataset terbit", "dataset", 200, "naik"),
    _indikator("A-2", "Statistik", "K-1", "Waktu rilis", "hari", 8, "turun"),
    _indikator("A-3", "Statistik", "K-1", "Waktu koreksi", "hari", 8, "turun"),
    _indikator("B-1", "Persandian", "K-2", "OPD bersertifikat", "%", 80, "naik"),
]
SMALL_KEGIATAN = [
    {
        "kode_kegiatan": "K-1",
        "bidang": "Statistik",
        "program": "P",
        "kegiatan": "Statistik",
        "pagu": 400_000_000,
    },
    {
        "kode_kegiatan": "K-2",
        "bidang": "Persandian",
        "program": "P",
        "kegiatan": "Sandi",
        "pagu": 100_000_000,
    },
]


@pytest.fixture
def small_case(ctx, files, edit_xlsx):
    """Generate the format isian of the small Renja and fill it like a Kepala Bidang would."""
    generated = generate_format_isian(
        {"periode": PERIODE, "indikator": SMALL_INDIKATOR, "kegiatan": SMALL_KEGIATAN}, ctx
    )
    values = {
        "Statistik": ({"H9": 150, "H10": 6, "H11": 20}, {"D9": 300_000_000}),
        "Persandian": ({"H9": 80}, {"D9": 25_000_000}),
    }

    def fill(bidang):
        def change(wb):
            for cell, value in values[bidang][0].items():
                wb["Kinerja"][cell] = value
            for cell, value in values[bidang][1].items():
                wb["Anggaran"][cell] = value

        return change

    isian = []
    for item in generated:
        data = edit_xlsx(files.get(item["format_isian"]), fill(item["bidang"]))
        filename = f"{layout.slug(item['bidang'])}.xlsx"
        isian.append({**item, "lembar_isian": files.put(data, filename, layout.MEDIA_TYPE_XLSX), "catatan": "cek"})
    return isian


def run(ctx, isian, indikator=SMALL_INDIKATOR, kegiatan=SMALL_KEGIATAN):
    return aggregate_performance_data(
        {"periode": PERIODE, "indikator": indikator, "kegiatan": kegiatan, "isian_bidang": isian}, ctx
    )


def test_hand_computed_small_case(ctx, small_case):
    rekap = run(ctx, small_case)
    statistik, persandian = rekap["per_bidang"]
    got = {
        i["kode"]: (i["realisasi"], i["capaian"], i["kategori"], i["melampaui_target"]) for i in statistik["indikator"]
    }
    assert got == {
        "A-1": (150, 75.0, "Sedang", False),  # 150 / 200
        "A-2": (6, 125.0, "Sangat Tinggi", True),  # (16 - 6) / 8, lower is better
        "A-3": (20, -50.0, "Sangat Rendah", False),  # (16 - 20) / 8
    }
    assert statistik["rata_rata_capaian"] == 50.0  # (75 + 125 - 50) / 3
    assert statistik["anggaran"] == [
        {
            "kode_kegiatan": "K-1",
            "program": "P",
            "kegiatan": "Statistik",
            "pagu": 400_000_000,
            "realisasi": 300_000_000,
            "penyerapan": 75.0,
            "keterangan": "",
        },
    ]
    assert statistik["catatan"] == "cek" and statistik["lembar_isian"] == small_case[0]["lembar_isian"]
    assert persandian["indikator"][0]["capaian"] == 100.0
    assert persandian["penyerapan_anggaran"] == 25.0
    assert rekap["jumlah_indikator"] == 4 and rekap["jumlah_kegiatan"] == 2
    assert rekap["rata_rata_capaian"] == 62.5  # (75 + 125 - 50 + 100) / 4
    assert rekap["jumlah_pagu"] == 500_000_000 and rekap["jumlah_realisasi_anggaran"] == 325_000_000
    assert rekap["penyerapan_anggaran"] == 65.0
    assert rekap["periode_label"] == "Triwulan III Tahun 2026"
    assert rekap["data_contoh"] is False  # generated and filled, not the labelled sample files
    json.dumps(rekap)  # JSON-able


def test_sample_rekap(rekap):
    assert rekap["per_bidang"][0]["bidang"] == "Sekretariat"
    apt = next(b for b in rekap["per_bidang"] if b["bidang"] == "Aplikasi Informatika")
    assert [i["capaian"] for i in apt["indikator"]] == [80.0, 86.67, 62.5, 90.0]
    assert apt["indikator"][2]["polaritas"] == "turun" and apt["indikator"][2]["kategori"] == "Rendah"
    assert apt["rata_rata_capaian"] == 79.79
    assert apt["anggaran"][0]["penyerapan"] == 66.0
    assert rekap["jumlah_indikator"] == 16
    assert rekap["jumlah_per_kategori"] == {
        "Sangat Tinggi": 5,
        "Tinggi": 5,
        "Sedang": 2,
        "Rendah": 3,
        "Sangat Rendah": 1,
    }
    assert rekap["jumlah_melampaui_target"] == 1
    assert (rekap["jumlah_pagu"], rekap["jumlah_realisasi_anggaran"]) == (5_210_000_000, 3_496_000_000)
    assert rekap["penyerapan_anggaran"] == 67.1


def test_target_zero_is_an_error_on_its_cell(ctx, small_case):
    indikator = [dict(i) for i in SMALL_INDIKATOR]
    indikator[1]["target"] = 0
    with pytest.raises(HandlerError) as info:
        run(ctx, small_case, indikator=indikator)
    errors = [e for e in info.value.errors if e["code"] == "target_zero"]
    assert len(errors) == 1
    assert (errors[0]["file"], errors[0]["sheet"], errors[0]["cell"]) == ("statistik.xlsx", "Kinerja", "F10")
    assert errors[0]["field"] == "isian_bidang"
    assert "harus lebih dari 0" in errors[0]["reason"]


def test_errors_of_every_file_are_collected(ctx, small_case, files, edit_xlsx):
    broken = []
    for item, cell in zip(small_case, ("H9", "H9"), strict=True):
        data = edit_xlsx(files.get(item["lembar_isian"]), lambda wb, c=cell: wb["Kinerja"].__setitem__(c, "n/a"))
        ref = files.put(data, item["lembar_isian"]["filename"], layout.MEDIA_TYPE_XLSX)
        broken.append({**item, "lembar_isian": ref})
    with pytest.raises(HandlerError) as info:
        run(ctx, broken)
    assert sorted(e["file"] for e in info.value.errors) == ["persandian.xlsx", "statistik.xlsx"]
    assert "2 kesalahan" in info.value.message


def test_missing_and_unknown_bidang(ctx, small_case):
    isian = [small_case[0], {"bidang": "Keuangan", "lembar_isian": small_case[1]["lembar_isian"]}]
    with pytest.raises(HandlerError) as info:
        run(ctx, isian)
    codes = sorted(e["code"] for e in info.value.errors)
    assert codes == ["missing_bidang", "unknown_bidang"]


def test_file_missing_from_storage(ctx, small_case):
    isian = [
        small_case[0],
        {**small_case[1], "lembar_isian": {"sha256": "0" * 64, "filename": "hilang.xlsx"}},
    ]
    with pytest.raises(HandlerError) as info:
        run(ctx, isian)
    assert [(e["code"], e["file"]) for e in info.value.errors] == [("file_unavailable", "hilang.xlsx")]
