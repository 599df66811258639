"""Analyse the achievement of the period (SOP step 8, "Mengolah dan menganalisa data").

BPMN task ``langkah08_analisis`` (service, operator ``analyse_achievement``), lane
Kasubbag Perencanaan; result variable ``analisis``.

Band rule (from :mod:`handlers.capaian`, restated in config ``aturan_kategori``):
capaian rounded to 2 decimals goes into the band with the highest ``min`` not above
it, so 90.5 is Tinggi and 50.5 Sangat Rendah; above 100 is the top band and flagged
``melampaui_target``.
"""

from __future__ import annotations

from typing import Any

from handlers.capaian import Band, load_bands, penyerapan
from handlers.konfigurasi import angka, nilai
from handlers.periode import Periode, parse_periode
from handlers.ringkasan import ringkas_rekap
from sopflow.plugins import HandlerContext, HandlerError, register

_INDIKATOR_KEYS = ("kode", "indikator", "satuan", "target", "realisasi", "polaritas", "capaian", "kategori")


@register("analyse_achievement")
def analyse_achievement(params: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Categorise every indicator, summarise per Bidang and overall, compare, list follow-ups.

    Params read: ``periode``, ``rekap`` (step 3), ``sebelumnya`` (None, or
    ``{"periode": "2026-TW2", "analisis": <analisis of that case>}``).
    Config read: ``kategori_capaian``, ``aturan_kategori``, ``kategori_tindak_lanjut``
    (labels, default Rendah and Sangat Rendah), ``batas_capaian_tindak_lanjut`` (%),
    ``batas_penyerapan_rendah`` (% or ``{"TW1": .., "TW4": ..}``, cumulative).
    Returns ``{"periode", "periode_label", "aturan_kategori", "kategori": [{label,min,max}],
    "indikator": [{bidang, kode, indikator, satuan, target, realisasi, polaritas, capaian,
    kategori, melampaui_target}], "per_bidang": [{bidang, jumlah_indikator,
    rata_rata_capaian, kategori_rata_rata, jumlah_per_kategori, jumlah_melampaui_target,
    jumlah_kegiatan, jumlah_pagu, jumlah_realisasi_anggaran, penyerapan_anggaran}],
    "ringkasan": {... overall ...}, "perbandingan": None | {"periode_sebelumnya",
    "periode_sebelumnya_label", "ringkasan": {delta}, "per_bidang": [{delta}], "indikator":
    [{kode, bidang, indikator, capaian, capaian_sebelumnya, selisih}]},
    "catatan_perbandingan": str, "perlu_tindak_lanjut": {"indikator": [...], "kegiatan":
    [...], "jumlah": int}}``.
    An indicator needs follow-up when its kategori is listed in ``kategori_tindak_lanjut``
    or its capaian is below ``batas_capaian_tindak_lanjut``; an activity when its
    cumulative penyerapan is below the period's ``batas_penyerapan_rendah``.
    Raises HandlerError for a missing/malformed rekap, a rekap of another periode, a
    malformed ``sebelumnya`` or bad configuration.
    """
    periode = parse_periode(params.get("periode"))
    bands = load_bands(ctx.config)
    rekap = params.get("rekap")
    summary = ringkas_rekap(rekap, bands)
    assert isinstance(rekap, dict)  # ringkas_rekap raised otherwise
    if summary["periode"] != periode.kode:
        message = f"Rekap berisi periode {summary['periode']}, bukan {periode.kode}."
        raise HandlerError(message, [{"message": message, "field": "rekap", "reason": "periode berbeda"}])
    indikator = [
        {
            "bidang": b["bidang"],
            **{k: i.get(k) for k in _INDIKATOR_KEYS},
            "melampaui_target": i["melampaui_target"],
        }
        for b in summary["per_bidang"]
        for i in b["indikator"]
    ]
    per_bidang = [{k: v for k, v in b.items() if k != "indikator"} for b in summary["per_bidang"]]
    perbandingan, catatan = _bandingkan(periode, per_bidang, summary["ringkasan"], indikator, params.get("sebelumnya"))
    return {
        "periode": periode.kode,
        "periode_label": periode.label,
        "aturan_kategori": str(ctx.config.get("aturan_kategori") or ""),
        "kategori": [{"label": b.label, "min": b.min, "max": b.max} for b in bands],
        "indikator": indikator,
        "per_bidang": per_bidang,
        "ringkasan": summary["ringkasan"],
        "perbandingan": perbandingan,
        "catatan_perbandingan": catatan,
        "perlu_tindak_lanjut": _tindak_lanjut(indikator, rekap, periode, bands, ctx.config),
    }


def _selisih(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 2)


def _delta(now: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    return {
        "rata_rata_capaian": now.get("rata_rata_capaian"),
        "rata_rata_capaian_sebelumnya": before.get("rata_rata_capaian"),
        "selisih_capaian": _selisih(now.get("rata_rata_capaian"), before.get("rata_rata_capaian")),
        "penyerapan_anggaran": now.get("penyerapan_anggaran"),
        "penyerapan_anggaran_sebelumnya": before.get("penyerapan_anggaran"),
        "selisih_penyerapan": _selisih(now.get("penyerapan_anggaran"), before.get("penyerapan_anggaran")),
    }


def _bandingkan(
    periode: Periode,
    per_bidang: list[dict[str, Any]],
    ringkasan: dict[str, Any],
    indikator: list[dict[str, Any]],
    sebelumnya: object,
) -> tuple[dict[str, Any] | None, str]:
    """Return (comparison, note); the comparison is None with a note saying why."""
    if not sebelumnya:
        return None, "Tidak ada data triwulan sebelumnya untuk dibandingkan."
    analisis = sebelumnya.get("analisis") if isinstance(sebelumnya, dict) else None
    if (
        not isinstance(sebelumnya, dict)
        or not isinstance(analisis, dict)
        or not isinstance(analisis.get("per_bidang"), list)
    ):
        message = "Data 'sebelumnya' tidak sah: harus berisi 'periode' dan 'analisis' dari kasus sebelumnya."
        raise HandlerError(message, [{"message": message, "field": "sebelumnya"}])
    lalu = parse_periode(sebelumnya.get("periode"), field="sebelumnya")
    if lalu.urutan >= periode.urutan:
        return (
            None,
            f"Data sebelumnya ({lalu.label}) tidak lebih awal dari {periode.label}; tidak dibandingkan.",
        )
    before_bidang = {b.get("bidang"): b for b in analisis["per_bidang"] if isinstance(b, dict)}
    before_indikator = {i.get("kode"): i for i in analisis.get("indikator") or [] if isinstance(i, dict)}
    comparison = {
        "periode_sebelumnya": lalu.kode,
        "periode_sebelumnya_label": lalu.label,
        "ringkasan": _delta(ringkasan, analisis.get("ringkasan") or {}),
        "per_bidang": [{"bidang": b["bidang"], **_delta(b, before_bidang.get(b["bidang"], {}))} for b in per_bidang],
        "indikator": [
            {
                "kode": i["kode"],
                "bidang": i["bidang"],
                "indikator": i["indikator"],
                "capaian": i["capaian"],
                "capaian_sebelumnya": before_indikator.get(i["kode"], {}).get("capaian"),
                "selisih": _selisih(i["capaian"], before_indikator.get(i["kode"], {}).get("capaian")),
            }
            for i in indikator
        ],
    }
    return comparison, f"Dibandingkan dengan {lalu.label}."


def _batas_penyerapan(config: dict[str, Any], periode: Periode) -> float:
    raw = nilai(config, "batas_penyerapan_rendah", 0)
    if isinstance(raw, dict):
        return angka(config, f"batas_penyerapan_rendah.TW{periode.triwulan}", 0)
    return angka(config, "batas_penyerapan_rendah", 0)


def _tindak_lanjut(
    indikator: list[dict[str, Any]],
    rekap: dict[str, Any],
    periode: Periode,
    bands: list[Band],
    config: dict[str, Any],
) -> dict[str, Any]:
    labels = nilai(config, "kategori_tindak_lanjut", ["Rendah", "Sangat Rendah"])
    known = {b.label for b in bands}
    if not isinstance(labels, list) or not set(labels) <= known:
        message = f"Konfigurasi 'kategori_tindak_lanjut' harus daftar label dari {sorted(known)}."
        raise HandlerError(message, [{"message": message, "field": "kategori_tindak_lanjut"}])
    batas_capaian = angka(config, "batas_capaian_tindak_lanjut", 0)
    items = []
    for i in indikator:
        alasan = []
        if i["kategori"] in labels:
            alasan.append(f"kategori {i['kategori']}")
        elif i["capaian"] < batas_capaian:
            alasan.append(f"capaian di bawah {batas_capaian:g}%")
        if alasan:
            keys = ("bidang", "kode", "indikator", "capaian", "kategori")
            items.append({**{k: i[k] for k in keys}, "alasan": "; ".join(alasan)})
    batas_serap = _batas_penyerapan(config, periode)
    kegiatan = []
    for b in rekap["per_bidang"]:
        for k in b.get("anggaran", []):
            serap = penyerapan(k.get("realisasi") or 0, k.get("pagu") or 0)
            if serap is not None and serap < batas_serap:
                kegiatan.append(
                    {
                        "bidang": b["bidang"],
                        "kode_kegiatan": k.get("kode_kegiatan"),
                        "kegiatan": k.get("kegiatan"),
                        "pagu": k.get("pagu"),
                        "realisasi": k.get("realisasi"),
                        "penyerapan": serap,
                        "batas": batas_serap,
                        "alasan": f"penyerapan anggaran di bawah {batas_serap:g}% untuk {periode.label}",
                    }
                )
    return {"indikator": items, "kegiatan": kegiatan, "jumlah": len(items) + len(kegiatan)}
