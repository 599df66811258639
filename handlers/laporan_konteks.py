"""Build the docxtpl context of the monev report from rekap, monitoring, analysis, SOP and signer.

One job: turn the case data into the display strings and lists that
``templates/laporan_monev_kinerja.docx`` expects (every number through
:mod:`handlers.angka`, empty values as "-"). Figures per indicator and per Bidang
always come from :func:`handlers.ringkasan.ringkas_rekap` over the current rekap, so a
draft (step 7, before the analysis) and the final report (step 12) compute them the
same way; the comparison and follow-up lists come from ``analisis`` when it exists.

What the report body never shows: workflow metadata (revision round, the Sekretaris'
disposition, the discussion, correction and verification notes). Those belong to the
case history (audit trail), not to the document the office signs and files.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from docxtpl import Listing

from handlers.angka import format_angka, format_persen, format_persen_dalam_teks, format_rupiah, format_selisih
from handlers.capaian import Band
from handlers.konfigurasi import nilai
from handlers.periode import Periode
from handlers.tanggal import format_tanggal, parse_tanggal
from sopflow.plugins import HandlerError, People, Person

JUDUL = "LAPORAN MONITORING DAN EVALUASI INTERNAL CAPAIAN KINERJA"
LABEL_DRAF = "DRAF – BELUM DIVERIFIKASI"
LABEL_FINAL = "FINAL"
LABEL_DATA_CONTOH = "DATA CONTOH"
_DASAR_HUKUM = re.compile(r"^sop\.dasar_hukum\.(\d+)$")


def teks(value: object) -> Listing:
    """Return a multi-line value (str or list of str) for a docx cell; "-" when empty."""
    if isinstance(value, list):
        items = [str(v).strip() for v in value if str(v or "").strip()]
        text = "\n".join(f"{n}. {v}" for n, v in enumerate(items, start=1)) if len(items) > 1 else "".join(items)
    else:
        text = str(value or "").strip()
    return Listing(text or "-")


def format_nip(nip: str) -> str:
    """Return an 18-digit NIP grouped as printed on official documents: ``19800918 200501 1 008``."""
    digits = re.sub(r"\s+", "", nip or "")
    if re.fullmatch(r"\d{18}", digits):
        return f"{digits[:8]} {digits[8:14]} {digits[14]} {digits[15:]}"
    return (nip or "").strip() or "-"


def dasar_hukum(process_properties: dict[str, str] | Any, config: dict[str, Any]) -> list[str]:
    """Return the SOP's Dasar Hukum, in order: the diagram's ``sop.dasar_hukum.N`` properties.

    Falls back to the config list ``dasar_hukum`` for a context without a published
    diagram (a handler run on its own); empty when neither exists.
    """
    numbered = []
    for key, value in dict(process_properties or {}).items():
        match = _DASAR_HUKUM.match(key)
        if match and str(value).strip():
            numbered.append((int(match.group(1)), str(value).strip()))
    if numbered:
        return [text for _, text in sorted(numbered)]
    return [str(v) for v in nilai(config, "dasar_hukum", []) if str(v).strip()]


def penandatangan(people: People, config: dict[str, Any]) -> dict[str, str]:
    """Return name, NIP and title of the signer: the head of the lane ``penandatangan.lane``.

    The person comes from the user records (``ctx.people``); when nobody heads that lane
    (or the context has no user records) the config's ``penandatangan.nama``/``nip``/
    ``jabatan`` are used. Raises HandlerError when neither names a signer.
    """
    lane = nilai(config, "penandatangan.lane", "")
    person: Person | None = people.lead_of(lane) if lane else None
    if person is not None:
        return {
            "nama": person.name,
            "nip": format_nip(person.nip),
            "jabatan": person.title or nilai(config, "penandatangan.jabatan", lane),
            "username": person.username,
        }
    nama = nilai(config, "penandatangan.nama", "")
    if not nama:
        message = (
            f"Penandatangan laporan belum ada: tidak ada pengguna aktif yang menjadi kepala lane '{lane}' "
            "dan konfigurasi 'penandatangan.nama' kosong."
        )
        raise HandlerError(message, [{"message": message, "field": "penandatangan.lane"}])
    return {
        "nama": nama,
        "nip": format_nip(nilai(config, "penandatangan.nip", "")),
        "jabatan": nilai(config, "penandatangan.jabatan", lane or "-"),
        "username": "",
    }


def susun_konteks(
    *,
    mode: str,
    periode: Periode,
    summary: dict[str, Any],
    rekap: dict[str, Any],
    hasil_monitoring: dict[str, Any] | None,
    analisis: dict[str, Any] | None,
    config: dict[str, Any],
    bands: list[Band],
    signer: dict[str, str],
    dasar: list[str],
    now: datetime,
) -> dict[str, Any]:
    """Return the template context (the chart and logo are added by the caller)."""
    draft = mode == "draft"
    data_contoh = bool(rekap.get("data_contoh"))
    ringkasan = summary["ringkasan"]
    monitoring = {m.get("bidang"): m for m in (hasil_monitoring or {}).get("per_bidang", [])}
    anggaran = {b["bidang"]: b.get("anggaran", []) for b in rekap["per_bidang"]}
    catatan_isian = {b["bidang"]: b.get("catatan", "") for b in rekap["per_bidang"]}
    label_header = f"{LABEL_DRAF} – {periode.label}" if draft else f"Laporan Monev Kinerja – {periode.label}"
    if data_contoh:
        label_header += f" – {LABEL_DATA_CONTOH}"
    bidang = [
        _bidang(n, b, anggaran.get(b["bidang"], []), monitoring.get(b["bidang"]), catatan_isian.get(b["bidang"]))
        for n, b in enumerate(summary["per_bidang"], start=1)
    ]
    analisis_konteks = _analisis(analisis)
    berkas = (rekap.get("berkas_rekap") or {}).get("filename") or f"rekap_data_kinerja_{periode.kode}.xlsx"
    return {
        "draft": draft,
        "data_contoh": data_contoh,
        "status_dokumen": LABEL_DRAF if draft else LABEL_FINAL,
        "label_header": label_header,
        "judul": JUDUL,
        "judul_singkat": f"Laporan Monitoring dan Evaluasi Internal Capaian Kinerja {periode.label}",
        "instansi": {
            "pemerintah": nilai(config, "instansi.pemerintah", ""),
            "nama": nilai(config, "instansi.nama"),
            "alamat": nilai(config, "instansi.alamat", ""),
        },
        "nomor_sop": nilai(config, "nomor_sop", "-"),
        "kota": nilai(config, "instansi.kota", ""),
        "tahun": str(periode.tahun),
        "periode_label": periode.label,
        "periode_kode": periode.kode,
        "tanggal_dokumen": format_tanggal(now.date()),
        "dasar_hukum": dasar or ["Standar Operasional Prosedur Monitoring/Evaluasi Internal Capaian Kinerja."],
        "aturan_kategori": format_persen_dalam_teks(nilai(config, "aturan_kategori", "")),
        "ringkasan": _ringkasan(ringkasan),
        "kategori": _kategori(bands, ringkasan["jumlah_per_kategori"]),
        "bidang": bidang,
        "ada_monitoring": bool(monitoring),
        "ada_analisis": analisis is not None,
        **analisis_konteks,
        "kesimpulan": _kesimpulan(periode, ringkasan, summary["per_bidang"]),
        "rekomendasi": _rekomendasi(analisis, analisis_konteks),
        "lampiran_indikator": [{"bidang": b["nama"], **i} for b in bidang for i in b["indikator"]],
        "berkas_rekap": berkas,
        "penandatangan": signer,
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


def _kategori(bands: list[Band], jumlah: dict[str, int]) -> list[dict[str, Any]]:
    """The bands as printed: label, range ("76% – 90%", "≥ 91%", "≤ 50%") and the indicator count."""
    rows = []
    for band in bands:
        if band.min is not None and band.max is not None:
            rentang = f"{format_persen(band.min)} – {format_persen(band.max)}"
        elif band.min is not None:
            rentang = f"≥ {format_persen(band.min)}"
        elif band.max is not None:
            rentang = f"≤ {format_persen(band.max)}"
        else:
            rentang = "-"
        rows.append({"label": band.label, "rentang": rentang, "jumlah": jumlah.get(band.label, 0)})
    return rows


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
        "catatan_perbandingan": format_persen_dalam_teks(analisis.get("catatan_perbandingan") or ""),
        "tindak_lanjut_indikator": [
            {**i, "capaian": format_persen(i.get("capaian")), "alasan": format_persen_dalam_teks(i.get("alasan"))}
            for i in tl.get("indikator", [])
        ],
        "tindak_lanjut_kegiatan": [
            {**k, "penyerapan": format_persen(k.get("penyerapan")), "alasan": format_persen_dalam_teks(k.get("alasan"))}
            for k in tl.get("kegiatan", [])
        ],
    }


def _kesimpulan(periode: Periode, r: dict[str, Any], per_bidang: list[dict[str, Any]]) -> list[str]:
    """Conclusions read off the figures (no judgement beyond the configured bands)."""
    points = [
        f"Rata-rata capaian kinerja {periode.label} adalah {format_persen(r['rata_rata_capaian'])} "
        f"(kategori {r['kategori_rata_rata'] or '-'}) dari {r['jumlah_indikator']} indikator pada "
        f"{r['jumlah_bidang']} Bidang; {r['jumlah_melampaui_target']} indikator melampaui target.",
        f"Penyerapan anggaran {format_persen(r['penyerapan_anggaran'])} "
        f"({format_rupiah(r['jumlah_realisasi_anggaran'])} dari pagu {format_rupiah(r['jumlah_pagu'])}).",
    ]
    ranked = [b for b in per_bidang if b["rata_rata_capaian"] is not None]
    if len(ranked) > 1:
        top = max(ranked, key=lambda b: b["rata_rata_capaian"])
        low = min(ranked, key=lambda b: b["rata_rata_capaian"])
        points.append(
            f"Rata-rata capaian tertinggi pada Bidang {top['bidang']} ({format_persen(top['rata_rata_capaian'])}) "
            f"dan terendah pada Bidang {low['bidang']} ({format_persen(low['rata_rata_capaian'])})."
        )
    return points


def _rekomendasi(analisis: dict[str, Any] | None, konteks: dict[str, Any]) -> list[str]:
    if analisis is None:
        return ["Rekomendasi tindak lanjut disusun setelah analisis capaian (langkah 8)."]
    points = []
    indikator = konteks["tindak_lanjut_indikator"]
    kegiatan = konteks["tindak_lanjut_kegiatan"]
    if indikator:
        bidang = sorted({str(i.get("bidang")) for i in indikator})
        points.append(
            f"{len(indikator)} indikator pada Bidang {', '.join(bidang)} perlu ditindaklanjuti sesuai rencana "
            "tindak lanjut hasil monitoring dan dipantau pada triwulan berikutnya."
        )
    if kegiatan:
        points.append(
            f"{len(kegiatan)} kegiatan dengan penyerapan anggaran di bawah batas perlu mempercepat pelaksanaan "
            "dan pembayaran sesuai jadwal."
        )
    if not points:
        points.append("Capaian kinerja dan penyerapan anggaran dipertahankan sampai akhir tahun anggaran.")
    points.append("Hasil monitoring dan evaluasi ini menjadi bahan penyusunan laporan kinerja instansi.")
    return points
