"""Build the docxtpl context of the monev report from rekap, monitoring, analysis and notes.

One job: turn the case data into the display strings and lists that
``templates/laporan_monev_kinerja.docx`` expects (numbers in Indonesian style, empty
values as "-"). Figures per indicator and per Bidang always come from
:func:`handlers.ringkasan.ringkas_rekap` over the current rekap, so a draft (step 7,
before the analysis) and the final report (step 12) compute them the same way; the
comparison and follow-up lists come from ``analisis`` when it exists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from docxtpl import Listing

from handlers.angka import format_angka, format_persen, format_rupiah, format_selisih
from handlers.konfigurasi import nilai
from handlers.periode import Periode
from handlers.tanggal import format_tanggal, parse_tanggal

JUDUL = "LAPORAN MONITORING DAN EVALUASI INTERNAL CAPAIAN KINERJA"
LABEL_DRAF = "DRAF – BELUM DIVERIFIKASI"
LABEL_FINAL = "FINAL"
CATATAN_KEYS = ("disposisi", "catatan_pembahasan", "catatan_perbaikan", "catatan_verifikasi")


def teks(value: object) -> Listing:
    """Return a multi-line value (str or list of str) for a docx cell; "-" when empty."""
    if isinstance(value, list):
        items = [str(v).strip() for v in value if str(v or "").strip()]
        text = "\n".join(f"{n}. {v}" for n, v in enumerate(items, start=1)) if len(items) > 1 else "".join(items)
    else:
        text = str(value or "").strip()
    return Listing(text or "-")


def susun_konteks(
    *,
    mode: str,
    periode: Periode,
    summary: dict[str, Any],
    rekap: dict[str, Any],
    hasil_monitoring: dict[str, Any] | None,
    analisis: dict[str, Any] | None,
    catatan: dict[str, Any],
    config: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """Return the template context (the chart is added by the caller as ``grafik``)."""
    draft = mode == "draft"
    ringkasan = summary["ringkasan"]
    monitoring = {m.get("bidang"): m for m in (hasil_monitoring or {}).get("per_bidang", [])}
    anggaran = {b["bidang"]: b.get("anggaran", []) for b in rekap["per_bidang"]}
    catatan_isian = {b["bidang"]: b.get("catatan", "") for b in rekap["per_bidang"]}
    return {
        "draft": draft,
        "status_dokumen": LABEL_DRAF if draft else LABEL_FINAL,
        "label_header": f"{LABEL_DRAF} – {periode.label}" if draft else f"Laporan Monev Kinerja – {periode.label}",
        "judul": JUDUL,
        "instansi": {
            "pemerintah": nilai(config, "instansi.pemerintah", ""),
            "nama": nilai(config, "instansi.nama"),
            "alamat": nilai(config, "instansi.alamat", ""),
        },
        "nomor_sop": nilai(config, "nomor_sop", "-"),
        "kota": nilai(config, "instansi.kota", ""),
        "periode_label": periode.label,
        "periode_kode": periode.kode,
        "tanggal_dokumen": format_tanggal(now.date()),
        "aturan_kategori": nilai(config, "aturan_kategori", ""),
        "ringkasan": _ringkasan(ringkasan),
        "bidang": [
            _bidang(
                n,
                b,
                anggaran.get(b["bidang"], []),
                monitoring.get(b["bidang"]),
                catatan_isian.get(b["bidang"]),
            )
            for n, b in enumerate(summary["per_bidang"], start=1)
        ],
        "ada_monitoring": bool(monitoring),
        "ada_analisis": analisis is not None,
        **_analisis(analisis),
        "catatan": {
            **{key: teks(catatan.get(key)) for key in CATATAN_KEYS},
            "putaran_revisi": format_angka(catatan.get("putaran_revisi") or 0, 0),
        },
        "penandatangan": {
            "jabatan": nilai(config, "penandatangan.jabatan"),
            "nama": nilai(config, "penandatangan.nama"),
            "nip": nilai(config, "penandatangan.nip"),
        },
    }


def _ringkasan(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "jumlah_bidang": r["jumlah_bidang"],
        "jumlah_indikator": r["jumlah_indikator"],
        "rata_rata_capaian": format_persen(r["rata_rata_capaian"]),
        "kategori_rata_rata": r["kategori_rata_rata"] or "-",
        "jumlah_melampaui_target": r["jumlah_melampaui_target"],
        "jumlah_kegiatan": r["jumlah_kegiatan"],
        "jumlah_pagu": format_rupiah(r["jumlah_pagu"]),
        "jumlah_realisasi_anggaran": format_rupiah(r["jumlah_realisasi_anggaran"]),
        "penyerapan_anggaran": format_persen(r["penyerapan_anggaran"]),
        "per_kategori": [{"label": k, "jumlah": v} for k, v in r["jumlah_per_kategori"].items()],
    }


def _bidang(
    nomor: int,
    b: dict[str, Any],
    anggaran: list[dict[str, Any]],
    monitoring: dict[str, Any] | None,
    catatan_isian: str | None,
) -> dict[str, Any]:
    m = monitoring or {}
    return {
        "nomor": nomor,
        "nama": b["bidang"],
        "rata_rata_capaian": format_persen(b["rata_rata_capaian"]),
        "kategori_rata_rata": b["kategori_rata_rata"] or "-",
        "jumlah_indikator": b["jumlah_indikator"],
        "penyerapan_anggaran": format_persen(b["penyerapan_anggaran"]),
        "jumlah_pagu": format_rupiah(b["jumlah_pagu"]),
        "jumlah_realisasi_anggaran": format_rupiah(b["jumlah_realisasi_anggaran"]),
        "catatan_isian": teks(catatan_isian),
        "indikator": [
            {
                "kode": i["kode"],
                "indikator": i["indikator"] + (" (makin rendah makin baik)" if i["polaritas"] == "turun" else ""),
                "satuan": i["satuan"],
                "target": format_angka(i["target"]),
                "realisasi": format_angka(i["realisasi"]),
                "capaian": format_persen(i["capaian"]) + ("*" if i["melampaui_target"] else ""),
                "kategori": i["kategori"] or "-",
            }
            for i in b["indikator"]
        ],
        "anggaran": [
            {
                "kode_kegiatan": k.get("kode_kegiatan"),
                "kegiatan": k.get("kegiatan"),
                "pagu": format_rupiah(k.get("pagu")),
                "realisasi": format_rupiah(k.get("realisasi")),
                "penyerapan": format_persen(k.get("penyerapan")),
            }
            for k in anggaran
        ],
        "monitoring": {
            "tanggal_kunjungan": _tanggal(m.get("tanggal_kunjungan")),
            "petugas_monev": m.get("petugas_monev") or "-",
            "kendala": teks(m.get("kendala")),
            "faktor_pendorong": teks(m.get("faktor_pendorong")),
            "faktor_penghambat": teks(m.get("faktor_penghambat")),
            "rencana_tindak_lanjut": teks(m.get("rencana_tindak_lanjut")),
        },
    }


def _tanggal(value: object) -> str:
    day = parse_tanggal(value)
    return format_tanggal(day) if day else str(value or "-")


def _analisis(analisis: dict[str, Any] | None) -> dict[str, Any]:
    if analisis is None:
        return {
            "perbandingan": None,
            "catatan_perbandingan": "",
            "tindak_lanjut_indikator": [],
            "tindak_lanjut_kegiatan": [],
        }
    p = analisis.get("perbandingan")
    perbandingan = None
    if p:
        r = p["ringkasan"]
        perbandingan = {
            "label_sebelumnya": p["periode_sebelumnya_label"],
            "rata_rata_capaian": format_persen(r["rata_rata_capaian"]),
            "rata_rata_capaian_sebelumnya": format_persen(r["rata_rata_capaian_sebelumnya"]),
            "selisih_capaian": format_selisih(r["selisih_capaian"]),
            "selisih_penyerapan": format_selisih(r["selisih_penyerapan"]),
            "per_bidang": [
                {
                    "bidang": b["bidang"],
                    "sekarang": format_persen(b["rata_rata_capaian"]),
                    "sebelumnya": format_persen(b["rata_rata_capaian_sebelumnya"]),
                    "selisih": format_selisih(b["selisih_capaian"]),
                }
                for b in p["per_bidang"]
            ],
        }
    tl = analisis.get("perlu_tindak_lanjut") or {}
    return {
        "perbandingan": perbandingan,
        "catatan_perbandingan": analisis.get("catatan_perbandingan") or "",
        "tindak_lanjut_indikator": [{**i, "capaian": format_persen(i.get("capaian"))} for i in tl.get("indikator", [])],
        "tindak_lanjut_kegiatan": [
            {**k, "penyerapan": format_persen(k.get("penyerapan"))} for k in tl.get("kegiatan", [])
        ],
    }
