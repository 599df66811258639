"""Uploaded workbooks are measured before they are parsed; worker children have a memory cap.

Issue 11: a 212 KB .xlsx that unpacks to 95 MB (6.6 million filled cells) kept a worker busy
for 202 s and took 2.7 GB. The hostile workbooks here are built for real (a zip whose XML is
repeated millions of times compresses to a few hundred KB); the bomb runs in a subprocess
with a memory cap and a generous timeout, so a regression ends the test instead of hanging.
"""

from __future__ import annotations

import io
import json
import re
import resource
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

from handlers.error_list import ErrorList
from handlers.lembar_isian import read_lembar_isian
from handlers.periode import parse_periode
from handlers.renja import load_renja
from handlers.xlsx_limits import XlsxLimits, XlsxTooLarge, check_xlsx

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "monev_kinerja"
SAMPLE = SAMPLES / "lembar_isian" / "statistik.xlsx"
KINERJA = "xl/worksheets/sheet1.xml"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
TIMEOUT = 60


def _replace(members: dict[str, bytes | Any], source: Path = SAMPLE) -> bytes:
    """Return the sample workbook with some members replaced (bytes, or a callable writing a stream)."""
    out = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in original.infolist():
            if info.filename not in members:
                archive.writestr(info.filename, original.read(info.filename))
        for name, content in members.items():
            if callable(content):
                with archive.open(name, "w", force_zip64=True) as member:
                    content(member)
            else:
                archive.writestr(name, content)
    return out.getvalue()


def _sheet(rows: int, columns: int = 9, dimension: str | None = "honest") -> Any:
    """A writer of a worksheet with ``rows`` x ``columns`` filled cells (without cell references)."""
    row = b"<row>" + b"<c><v>1</v></c>" * columns + b"</row>"
    ref = {"honest": f"A1:{chr(64 + columns)}{rows}", "lying": "A1:I12"}.get(dimension or "")

    def write(stream: Any) -> None:
        stream.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}">'.encode())
        if ref:
            stream.write(f'<dimension ref="{ref}"/>'.encode())
        stream.write(b"<sheetData>")
        block = row * 1000
        for _ in range(rows // 1000):
            stream.write(block)
        stream.write(row * (rows % 1000) + b"</sheetData></worksheet>")

    return write


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Lembar Isian whose Kinerja sheet holds 5.4 million filled cells (about 93 MB unpacked)."""
    path = tmp_path_factory.mktemp("bom") / "statistik.xlsx"
    path.write_bytes(_replace({KINERJA: _sheet(600_000)}))
    return path


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))


def test_a_zip_bomb_is_refused_by_the_form_validator_before_parsing(bomb: Path):
    """The validator runs during the web request: it must answer at once, naming the limit."""
    assert bomb.stat().st_size < 400 * 1024
    program = textwrap.dedent(
        f"""
        import hashlib, json
        from datetime import datetime
        from pathlib import Path
        from sopflow.plugins import HandlerContext, HandlerError
        from handlers.validate_lembar_isian import validate_lembar_isian

        class Files:
            def __init__(self, data): self.data = data
            def get(self, ref): return self.data

        data = Path({str(bomb)!r}).read_bytes()
        start = json.loads(Path({str(SAMPLES / "indikator_2026.json")!r}).read_text())
        ref = {{"sha256": hashlib.sha256(data).hexdigest(), "filename": "statistik.xlsx", "size": len(data)}}
        params = {{"form": {{"lembar_isian": ref}}, "data": {{"isian": {{"bidang": "Statistik"}},
                  "periode": "2026-TW3", "indikator": start["indikator"], "kegiatan": start["kegiatan"]}}}}
        ctx = HandlerContext(files=Files(data), templates_dir=Path("."), config={{}}, now=datetime(2026, 10, 1))
        try:
            validate_lembar_isian(params, ctx)
            print("DITERIMA")
        except HandlerError as exc:
            print("DITOLAK", json.dumps(exc.errors))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=_limit_memory,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    verdict, _, payload = done.stdout.strip().splitlines()[-1].partition(" ")
    assert verdict == "DITOLAK"
    [error] = json.loads(payload)
    assert error["code"] == "too_large" and error["field"] == "lembar_isian"
    assert re.fullmatch(
        r"Berkas 'statistik\.xlsx' melebihi batas: [\d.]+ byte setelah diekstrak \(maksimum 10\.485\.760\)\.",
        error["message"],
    ), error["message"]


@pytest.mark.parametrize("dimension", ["honest", "lying", None])
def test_too_many_cells_are_refused_whatever_the_sheet_declares(dimension):
    """120,000 cells (2 MB unpacked, under the size cap): refused by the declared or the counted cells."""
    data = _replace({KINERJA: _sheet(13_334, dimension=dimension)})
    with pytest.raises(XlsxTooLarge) as err:
        check_xlsx(data, XlsxLimits())
    assert err.value.unit == "sel" and err.value.limit == 100_000
    assert str(err.value).startswith("Berkas melebihi batas: ") and str(err.value).endswith("sel (maksimum 100.000)")


def test_too_many_sheets_are_refused():
    workbook = zipfile.ZipFile(SAMPLE).read("xl/workbook.xml").decode()
    extra = "".join(f'<sheet name="X{i}" sheetId="{100 + i}" r:id="rId{100 + i}"/>' for i in range(150))
    data = _replace({"xl/workbook.xml": workbook.replace("</sheets>", extra + "</sheets>").encode()})
    with pytest.raises(XlsxTooLarge, match=r"154 lembar \(maksimum 100\)"):
        check_xlsx(data, XlsxLimits())


@pytest.mark.parametrize(("declared", "actual"), [(500_000, 10), (5, 150_000)])
def test_too_many_shared_strings_are_refused(declared: int, actual: int):
    items = b"<si><t>a</t></si>" * actual
    sst = f'<sst xmlns="{NS}" count="{declared}" uniqueCount="{declared}">'.encode() + items + b"</sst>"
    data = _replace({"xl/sharedStrings.xml": sst})
    with pytest.raises(XlsxTooLarge, match=r"teks bersama \(maksimum 100\.000\)"):
        check_xlsx(data, XlsxLimits())


def test_a_zip_that_lies_about_its_sizes_is_still_bounded():
    """The central directory says 32 KB; the member really inflates to ~20 MB: the stream count stops it."""
    data = bytearray(_replace({KINERJA: _sheet(90_000, columns=1, dimension=None)}))
    # rewrite the uncompressed size of the Kinerja member in the central directory (offset 24)
    name = KINERJA.encode()
    at = data.rfind(name) - 46
    assert data[at : at + 4] == b"PK\x01\x02"
    data[at + 24 : at + 28] = (1000).to_bytes(4, "little")
    with pytest.raises((XlsxTooLarge, zipfile.BadZipFile)):
        check_xlsx(bytes(data), XlsxLimits(max_unpacked_bytes=1_000_000))


def test_the_real_samples_fit_twenty_times_under_every_cap():
    strict = XlsxLimits(
        max_bytes=XlsxLimits.max_bytes // 20,
        max_unpacked_bytes=XlsxLimits.max_unpacked_bytes // 20,
        max_sheets=XlsxLimits.max_sheets // 20,
        max_cells=XlsxLimits.max_cells // 20,
        max_shared_strings=XlsxLimits.max_shared_strings // 20,
    )
    for sample in sorted((SAMPLES / "lembar_isian").glob("*.xlsx")):
        check_xlsx(sample.read_bytes(), strict)


def test_a_process_can_lower_the_caps_in_its_configuration():
    start = json.loads((SAMPLES / "indikator_2026.json").read_text(encoding="utf-8"))
    renja = load_renja(start["indikator"], start["kegiatan"], require_target=False)
    data = SAMPLE.read_bytes()

    def read(config: dict[str, Any]) -> ErrorList:
        errors = ErrorList(field="lembar_isian")
        limits = XlsxLimits.from_config(config)
        read_lembar_isian(
            data, "statistik.xlsx", bidang="Statistik", periode=parse_periode("2026-TW3"), renja=renja,
            errors=errors, limits=limits,
        )  # fmt: skip
        return errors

    assert not read({})
    [error] = read({"batas_xlsx_sel": 50}).items
    assert error["message"].startswith("Berkas 'statistik.xlsx' melebihi batas: ")
    assert error["message"].endswith(" sel (maksimum 50).")


def test_a_worker_child_memory_cap_turns_a_huge_allocation_into_memory_error():
    program = textwrap.dedent(
        """
        from sopflow.jobs.celery_app import limit_memory
        limit_memory(1024)
        try:
            block = bytearray(3 * 1024**3)
            print("DIALOKASIKAN")
        except MemoryError:
            print("MEMORYERROR")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert done.stdout.strip().splitlines()[-1] == "MEMORYERROR", done.stderr[-2000:]


def test_the_celery_app_recycles_and_caps_its_children(tmp_path: Path):
    from sopflow.jobs.celery_app import WORKER_MAX_MEMORY_PER_CHILD_KIB, create_celery
    from sopflow.settings import Settings

    app = create_celery(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", data_dir=tmp_path))
    assert app.conf.worker_max_memory_per_child == WORKER_MAX_MEMORY_PER_CHILD_KIB
