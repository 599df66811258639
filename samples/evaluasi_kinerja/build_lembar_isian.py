"""Regenerate the sample Lembar Isian and monev demo scripts of all four quarters of 2026 (DATA CONTOH).

Run from the repository root: ``python samples/evaluasi_kinerja/build_lembar_isian.py``.
For each quarter it runs the real ``generate_format_isian`` handler of the monev SOP on
``samples/monev_kinerja/indikator_2026.json`` and types the cumulative realisasi below into
the input cells, as a Kepala Bidang would, writing ``lembar_isian/2026-TWn/<slug>.xlsx``.
Triwulan III repeats the realisasi of the monev samples (``samples/monev_kinerja/lembar_isian``);
the other quarters are invented so the year shows rising, flat and falling trends. Nothing here
is official data. It also writes ``monev_2026-TWn.json``: the monev demo script
(``samples/monev_kinerja/demo.json``) for that quarter with these sheets and without its second
(open) case, so ``sopflow demo --script`` can play the whole year before the evaluation demo.
The full-year test (``tests/processes/test_evaluasi_kinerja.py``) plays the four monev cases
with these scripts and checks the annual figures by hand.
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
TAHUN = 2026
LABEL = "DATA CONTOH / sample data — bukan data resmi"

# kode -> realisasi kumulatif s.d. TW I, II, III, IV (target tahunan in indikator_2026.json)
REALISASI_KINERJA: dict[str, tuple[float, float, float, float]] = {
    "IK-SEK-01": (100, 100, 100, 100),  # target 100 %: tetap 100 %
    "IK-SEK-02": (60, 62, 63, 68),  # target 70: 97,14 % di TW IV
    "IK-SEK-03": (20, 40, 56, 78),  # target 80: 97,5 %
    "IK-IKP-01": (80, 82, 84, 88),  # target 90
    "IK-IKP-02": (35, 80, 132, 170),  # target 120 kali: melampaui target
    "IK-IKP-03": (14, 13, 12, 11),  # turun, target 10 hari: 90 % (Tinggi, batas)
    "IK-APT-01": (55, 62, 68, 80),  # target 85
    "IK-APT-02": (2.6, 2.6, 2.6, 2.9),  # target 3,0
    "IK-APT-03": (6, 6, 5.5, 5),  # turun, target 4 jam: 75 % (Sedang)
    "IK-APT-04": (75, 78, 81, 86),  # target 90
    "IK-STA-01": (30, 60, 87, 120),  # target 150: 80 %
    "IK-STA-02": (40, 50, 56, 60),  # target 80: 75 %
    "IK-STA-03": (1, 1, 2, 3),  # target 4: 75 %
    "IK-SAN-01": (60, 66, 72, 74),  # target 75
    "IK-SAN-02": (100, 100, 100, 90),  # target 100 %: menurun di TW IV
    "IK-SAN-03": (2, 4, 6, 7),  # target 10: 70 %
}

# kode_kegiatan -> realisasi anggaran kumulatif s.d. TW I, II, III, IV (Rp)
REALISASI_ANGGARAN: dict[str, tuple[int, int, int, int]] = {
    "KG-SEK-01": (35_000_000, 80_000_000, 129_500_000, 178_000_000),
    "KG-SEK-02": (10_000_000, 30_000_000, 52_250_000, 90_000_000),
    "KG-SEK-03": (250_000_000, 600_000_000, 912_500_000, 1_230_000_000),
    "KG-IKP-01": (120_000_000, 300_000_000, 474_500_000, 640_000_000),
    "KG-IKP-02": (20_000_000, 60_000_000, 98_000_000, 160_000_000),
    "KG-APT-01": (300_000_000, 800_000_000, 1_221_000_000, 1_790_000_000),
    "KG-APT-02": (20_000_000, 60_000_000, 96_000_000, 118_000_000),
    "KG-STA-01": (40_000_000, 100_000_000, 189_000_000, 395_000_000),
    "KG-SAN-01": (70_000_000, 180_000_000, 285_000_000, 370_000_000),
    "KG-SAN-02": (5_000_000, 15_000_000, 38_250_000, 80_000_000),
}


def fill(data: bytes, quarter: int) -> bytes:
    """Type quarter ``quarter`` (1..4)'s sample values into one generated Format Isian."""
    wb = load_workbook(io.BytesIO(data))
    for sheet, columns, values in (
        (layout.SHEET_KINERJA, layout.KINERJA_COLUMNS, REALISASI_KINERJA),
        (layout.SHEET_ANGGARAN, layout.ANGGARAN_COLUMNS, REALISASI_ANGGARAN),
    ):
        ws = wb[sheet]
        ws[layout.LABEL_CELL] = LABEL
        ws[layout.LABEL_CELL].font = Font(bold=True, color="C00000")
        realisasi = layout.column_letter(columns, "realisasi")
        for row in range(layout.FIRST_DATA_ROW, ws.max_row + 1):
            kode = ws[f"A{row}"].value
            if kode in values:
                ws[f"{realisasi}{row}"] = values[kode][quarter - 1]
    wb.properties.creator = "sopflow (DATA CONTOH)"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


NAMA_TRIWULAN = {1: "Triwulan I", 2: "Triwulan II", 3: "Triwulan III", 4: "Triwulan IV"}


def demo_script(base: dict, quarter: int) -> dict:
    """Return the monev demo script ``base`` (as read from its JSON file) for quarter ``quarter`` of 2026."""
    script = json.loads(json.dumps(base))
    periode = f"{TAHUN}-TW{quarter}"
    script["keterangan"] = (
        f"DATA CONTOH / sample data: skenario demo monev {NAMA_TRIWULAN[quarter]} {TAHUN}, dibuat oleh "
        "samples/evaluasi_kinerja/build_lembar_isian.py dari samples/monev_kinerja/demo.json."
    )
    script["periode"] = periode
    script["teks_periode"] = {periode: {"triwulan": f"{NAMA_TRIWULAN[quarter]} Tahun {TAHUN}"}}
    script["start"]["data_file"] = "../monev_kinerja/" + script["start"]["data_file"]
    script.pop("open_case", None)
    for step in script["steps"]:
        for name, file in step.get("uploads", {}).items():
            step["uploads"][name] = f"lembar_isian/{periode}/{Path(file).name}"
    return script


def main() -> None:
    """Write the 4 x 5 sample files and the four quarterly demo scripts."""
    base = json.loads((ROOT / "samples" / "monev_kinerja" / "demo.json").read_text(encoding="utf-8"))
    for quarter in range(1, 5):
        path = HERE / f"monev_{TAHUN}-TW{quarter}.json"
        path.write_text(json.dumps(demo_script(base, quarter), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    start = json.loads((ROOT / "samples" / "monev_kinerja" / "indikator_2026.json").read_text(encoding="utf-8"))
    config = json.loads((ROOT / "processes" / "monev_kinerja.config.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        files = CommandFiles(FileStore(tmp))
        for quarter in range(1, 5):
            periode = f"{TAHUN}-TW{quarter}"
            target_dir = HERE / "lembar_isian" / periode
            target_dir.mkdir(parents=True, exist_ok=True)
            ctx = HandlerContext(files=files, templates_dir=ROOT / "templates", config=config, now=datetime(2026, 1, 5))
            params = {"periode": periode, "indikator": start["indikator"], "kegiatan": start["kegiatan"]}
            for item in generate_format_isian(params, ctx):
                path = target_dir / f"{layout.slug(item['bidang'])}.xlsx"
                path.write_bytes(fill(files.get(item["format_isian"]), quarter))
                print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
