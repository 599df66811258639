"""Steps 4-6: the monitoring schedule validator and the merge of the Blanko Monev."""

from __future__ import annotations

import pytest

from handlers.check_jadwal_monev import check_jadwal_monev
from handlers.merge_monitoring_results import merge_monitoring_results
from sopflow.plugins import HandlerError


@pytest.fixture
def jadwal(bidang_names):
    return [
        {"bidang": b, "tanggal": f"2026-10-{13 + n:02d}", "petugas": "Rahmadi, S.Kom."}
        for n, b in enumerate(bidang_names)
    ]


def check(ctx, jadwal, isian_bidang):
    return check_jadwal_monev(
        {"form": {"jadwal_monev": jadwal, "catatan_rencana": ""}, "data": {"isian_bidang": isian_bidang}}, ctx
    )


def test_complete_schedule_passes(ctx, jadwal, isian_bidang):
    assert check(ctx, jadwal, isian_bidang) == {
        "jumlah_bidang": 5,
        "tanggal_awal": "2026-10-13",
        "tanggal_akhir": "2026-10-17",
    }


def test_schedule_errors_are_all_reported(ctx, jadwal, isian_bidang):
    jadwal[1] = {**jadwal[1], "tanggal": "13-10-2026"}
    jadwal[2] = {**jadwal[2], "tanggal": "2026-02-30", "petugas": "  "}
    jadwal[3] = {**jadwal[3], "bidang": "Sekretariat"}  # Statistik missing, Sekretariat twice
    jadwal.append({"bidang": "Keuangan", "tanggal": "2026-10-20", "petugas": "X"})
    with pytest.raises(HandlerError) as info:
        check(ctx, jadwal, isian_bidang)
    errors = info.value.errors
    assert all(e["field"] == "jadwal_monev" for e in errors)
    assert [(e["code"], e.get("baris")) for e in errors] == [
        ("invalid_date", 2),
        ("invalid_date", 3),
        ("empty_petugas", 3),
        ("duplicate_bidang", 4),
        ("unknown_bidang", 6),
        ("missing_bidang", None),
    ]
    assert errors[0]["message"] == (
        "Jadwal baris 2 (Bidang Informasi dan Komunikasi Publik): tanggal '13-10-2026' tidak sah; "
        "gunakan format TTTT-BB-HH, misalnya 2026-10-12."
    )
    assert "Statistik" in errors[-1]["message"]


def test_empty_schedule(ctx, isian_bidang):
    with pytest.raises(HandlerError) as info:
        check(ctx, [], isian_bidang)
    assert info.value.errors[0]["code"] == "empty"


def visited(jadwal):
    return [
        {
            **item,
            "tanggal_kunjungan": "2026-10-16",
            "petugas_monev": "Siti Aisyah",
            "kendala": "- Jaringan ke kecamatan terputus\n- Walidata belum ditetapkan\n" if n == 3 else "-",
            "faktor_pendorong": "Dukungan pimpinan",
            "faktor_penghambat": ["Cuaca", ""],
            "rencana_tindak_lanjut": "1. Koordinasi dengan BPS\n2. Usulan SK walidata" if n == 3 else "",
        }
        for n, item in enumerate(jadwal)
    ]


def test_merge_keeps_rekap_order_and_splits_items(ctx, jadwal, rekap):
    hasil = merge_monitoring_results({"jadwal_monev": list(reversed(visited(jadwal))), "rekap": rekap}, ctx)
    assert [b["bidang"] for b in hasil["per_bidang"]] == [b["bidang"] for b in rekap["per_bidang"]]
    statistik = hasil["per_bidang"][3]
    assert statistik["kendala"] == ["Jaringan ke kecamatan terputus", "Walidata belum ditetapkan"]
    assert statistik["faktor_penghambat"] == ["Cuaca"]
    assert statistik["rata_rata_capaian"] == 59.33 and statistik["tanggal_rencana"] == "2026-10-16"
    assert hasil["per_bidang"][0]["kendala"] == []
    assert hasil["jumlah_kendala"] == 2
    assert hasil["bidang_dengan_kendala"] == ["Statistik"]
    assert hasil["daftar_tindak_lanjut"] == [
        {"bidang": "Statistik", "uraian": "Koordinasi dengan BPS"},
        {"bidang": "Statistik", "uraian": "Usulan SK walidata"},
    ]


def test_merge_refuses_incomplete_visits(ctx, jadwal, rekap):
    items = visited(jadwal)
    items[0]["tanggal_kunjungan"] = "kemarin"
    items[1]["petugas_monev"] = ""
    del items[2]
    with pytest.raises(HandlerError) as info:
        merge_monitoring_results({"jadwal_monev": items, "rekap": rekap}, ctx)
    assert [e["code"] for e in info.value.errors] == ["invalid_date", "empty_petugas", "missing_bidang"]
    assert {e["field"] for e in info.value.errors} == {"jadwal_monev"}
