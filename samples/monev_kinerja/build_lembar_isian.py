"""Regenerate the sample filled Lembar Isian (DATA CONTOH / sample data), one per Bidang.

Run from the repository root: ``python samples/monev_kinerja/build_lembar_isian.py``.
It runs the real ``generate_format_isian`` handler on ``indikator_2026.json`` for
periode 2026-TW3, then types the sample realisasi below into the input cells, exactly
as a Kepala Bidang would, and writes ``lembar_isian/<slug>.xlsx``. The values are
invented to show every achievement band (Sangat Tinggi .. Sangat Rendah), two
lower-is-better indicators, an indicator above target and activities with low budget
absorption. Nothing here is official data.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.styles import Font

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from handlers import isian_layout as layout  # noqa: E402
from handlers.generate_format_isian import generate_format_isian  # noqa: E402
from sopflow.engine.files import CommandFiles, FileStore  # noqa: E402
from sopflow.plugins import HandlerContext  # noqa: E402

HERE = Path(__file__).resolve().parent
PERIODE = "2026-TW3"
LABEL = "DATA CONTOH / sample data — bukan data resmi"

# kode -> (realisasi kumulatif s.d. TW3, keterangan); capaian shown for the reader.
REALISASI_KINERJA = {
    "IK-SEK-01": (100, "Renja, RKA dan laporan TW I-III disampaikan tepat waktu"),  # 100 % Sangat Tinggi
    "IK-SEK-02": (63, "Nilai hasil evaluasi SAKIP 2025"),  # 90 % Tinggi
    "IK-SEK-03": (56, "Diklat teknis SPBE tertunda ke TW IV"),  # 70 % Sedang
    "IK-IKP-01": (84, ""),  # 93,33 % Sangat Tinggi
    "IK-IKP-02": (132, "Tambahan siaran radio dan media sosial"),  # 110 % Sangat Tinggi, melampaui target
    "IK-IKP-03": (12, "Dua permohonan memerlukan keberatan"),  # turun: 80 % Tinggi
    "IK-APT-01": (68, "Penarikan jaringan ke 4 OPD belum selesai"),  # 80 % Tinggi
    "IK-APT-02": (2.6, "Hasil evaluasi mandiri SPBE"),  # 86,67 % Tinggi
    "IK-APT-03": (5.5, "Gangguan fiber optik akibat pekerjaan jalan"),  # turun: 62,5 % Rendah
    "IK-APT-04": (81, ""),  # 90 % Tinggi
    "IK-STA-01": (87, "Walidata pendukung belum lengkap"),  # 58 % Rendah
    "IK-STA-02": (56, ""),  # 70 % Sedang
    "IK-STA-03": (2, "Publikasi Balangan Dalam Angka sektoral dijadwalkan TW IV"),  # 50 % Sangat Rendah
    "IK-SAN-01": (72, ""),  # 96 % Sangat Tinggi
    "IK-SAN-02": (100, "Tiga insiden phishing ditangani"),  # 100 % Sangat Tinggi
    "IK-SAN-03": (6, "Keterbatasan tenaga penilai"),  # 60 % Rendah
}

# kode_kegiatan -> (realisasi anggaran s.d. TW3 in Rp, keterangan)
REALISASI_ANGGARAN = {
    "KG-SEK-01": (129_500_000, ""),
    "KG-SEK-02": (52_250_000, "Diklat tertunda"),
    "KG-SEK-03": (912_500_000, ""),
    "KG-IKP-01": (474_500_000, ""),
    "KG-IKP-02": (98_000_000, ""),
    "KG-APT-01": (1_221_000_000, "Pembayaran bandwidth TW III"),
    "KG-APT-02": (96_000_000, ""),
    "KG-STA-01": (189_000_000, "Survei data sektoral mundur"),
    "KG-SAN-01": (285_000_000, ""),
    "KG-SAN-02": (38_250_000, "Pengadaan perangkat sandi proses lelang"),
}


def fill(data: bytes) -> bytes:
    """Type the sample values into one generated Format Isian and label it as sample data."""
    wb = load_workbook(io.BytesIO(data))
    for sheet, columns, values in (
        (layout.SHEET_KINERJA, layout.KINERJA_COLUMNS, REALISASI_KINERJA),
        (layout.SHEET_ANGGARAN, layout.ANGGARAN_COLUMNS, REALISASI_ANGGARAN),
    ):
        ws = wb[sheet]
        ws[layout.LABEL_CELL] = LABEL
        ws[layout.LABEL_CELL].font = Font(bold=True, color="C00000")
        realisasi = layout.column_letter(columns, "realisasi")
        keterangan = layout.column_letter(columns, "keterangan")
        for row in range(layout.FIRST_DATA_ROW, ws.max_row + 1):
            kode = ws[f"A{row}"].value
            if kode in values:
                ws[f"{realisasi}{row}"], ws[f"{keterangan}{row}"] = values[kode][0], values[kode][1] or None
    wb.properties.creator = "sopflow (DATA CONTOH)"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def main() -> None:
    start = json.loads((HERE / "indikator_2026.json").read_text(encoding="utf-8"))
    config = json.loads((ROOT / "processes" / "monev_kinerja.config.json").read_text(encoding="utf-8"))
    target_dir = HERE / "lembar_isian"
    target_dir.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        files = CommandFiles(FileStore(tmp))
        ctx = HandlerContext(files=files, templates_dir=ROOT / "templates", config=config, now=datetime(2026, 10, 5))
        params = {"periode": PERIODE, "indikator": start["indikator"], "kegiatan": start["kegiatan"]}
        for item in generate_format_isian(params, ctx):
            path = target_dir / f"{layout.slug(item['bidang'])}.xlsx"
            path.write_bytes(fill(files.get(item["format_isian"])))
            print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
