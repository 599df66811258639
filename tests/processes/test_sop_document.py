"""The official SOP document is generated from the BPMN alone and reproduces the paper SOP (seed)."""

from __future__ import annotations

import io
import shutil
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from lxml import etree

from sopflow.plugins import registry
from sopflow.process.spec_loader import NSMAP, load_process_file
from sopflow.settings import PROJECT_ROOT
from sopflow.sopdoc.document import render_sop_document
from sopflow.sopdoc.steps import collect_steps, format_tanggal

MONEV = PROJECT_ROOT / "processes" / "monev_kinerja.bpmn"
MINI = PROJECT_ROOT / "tests" / "engine" / "data" / "mini.bpmn"
SEKRETARIS, KABID, KASUBBAG, KASI, KADIS = (
    "Sekretaris",
    "Kepala Bidang",
    "Kasubbag Perencanaan",
    "Kepala Seksi",
    "Kepala Dinas",
)
LANES = [SEKRETARIS, KABID, KASUBBAG, KASI, KADIS]
DASAR_HUKUM = [
    "Undang-Undang Republik Indonesia Nomor 23 Tahun 2014 tentang Pemerintahan Daerah.",
    "Peraturan Pemerintah Republik Indonesia Nomor 12 Tahun 2019 Tentang Pengelolaan Keuangan Daerah",
    "Peraturan Menteri Dalam Negeri Nomor 52 Tahun 2011 tentang Standar Operasional Prosedur Di Lingkungan "
    "Pemerintah Provinsi dan Kabupaten/Kota",
    "Permendagri No. 73 tahun 2009 tentang tata cara pelaksanaan evaluasi kinerja penyelenggaraan pemerintahan daerah",
    "Peraturan Pemerintah Nomor 46 Tahun 2011 tentang Penilaian Prestasi Kerja Pegawai Negeri Sipil",
    "Peraturan Menteri Dalam Negeri Republik Indonesia Nomor 86 Tahun 2017 Tentang Tata Cara Perencanaan, "
    "Pengendalian Dan Evaluasi Pembangunan Daerah, Tata Cara Evaluasi Rancangan Peraturan Daerah Tentang Rencana "
    "Pembangunan Jangka Panjang Daerah Dan Rencana Pembangunan Jangka Menengah Daerah, Serta Tata Cara Perubahan "
    "Rencana Pembangunan",
]
KUALIFIKASI = [
    "Memiliki kemampuan pengolahan data",
    "Mengetahui tugas dan fungsi Sistem Akuntabilitas Kinerja Instansi Pemerintah",
    "Mengetahui tugas dan fungsi dalam pembuatan laporan kinerja",
    "Memiliki kemampuan berkoordinasi dengan Bidang di lingkup Dinas",
]
STEPS = [  # (uraian, lane, waktu) of the seed, steps 1..13
    ("Membuat format isian", SEKRETARIS, "15"),
    ("Melakukan pengumpulan data kinerja", KABID, "2"),
    ("Mengolah data", KASUBBAG, "7"),
    ("Menyusun rencana monitoring evaluasi kinerja", KASUBBAG, "2"),
    ("Melaksanakan monitoring", KASI, "7"),
    ("Mengumpulkan data dan informasi", KASUBBAG, "3"),
    ("Menyusun draft laporan hasil monitoring evaluasi", KASUBBAG, "1"),
    ("Mengolah dan menganalisa data dan informasi hasil", KASUBBAG, "2"),
    ("Membahas draft laporan", SEKRETARIS, "1"),
    ("Melakukan perbaikan/koreksi draft laporan hasil", KASUBBAG, "3"),
    ("Melakukan verifikasi draft", KADIS, "1"),
    ("Menyusun dokumen monitoring", KASUBBAG, "1"),
    ("Menyimpan dokumen monitoring evaluasi", SEKRETARIS, "15"),
]
FIRST_LANE_COLUMN = 2


def open_docx(data: bytes):
    assert data[:2] == b"PK"
    return Document(io.BytesIO(data))


def identity(doc) -> dict[str, str]:
    return {row.cells[1].text: row.cells[2].text for row in doc.tables[0].rows}


def procedure(doc):
    """Return the procedure table of the first flowchart page."""
    table = doc.tables[2]
    assert table.rows[0].cells[0].text == "No"
    return table


def body_rows(doc) -> list:
    """Return the step rows of every flowchart page (each page's table repeats the two header rows)."""
    rows = []
    for table in doc.tables[2:]:
        assert [c.text for c in table.rows[0].cells][:2] == ["No", "Uraian Kegiatan"]
        rows.extend(table.rows[2:])
    return rows


def lane_headers(table) -> list[str]:
    header = table.rows[1].cells
    return [c.text for c in header[FIRST_LANE_COLUMN:] if c.text not in ("Persyaratan/Kelengkapan", "Waktu")][:-2]


EMU_PER_TWIP = 635
SYMBOL_NAMES = {"Proses": "process", "Keputusan": "decision", "Terminator": "terminator"}


def _anchors(paragraph) -> list[dict]:
    found = []
    for anchor in paragraph._p.xpath(".//wp:anchor"):
        name = anchor.xpath("./wp:docPr/@name")[0].rsplit(" ", 1)[0]
        x = int(anchor.xpath("./wp:positionH/wp:posOffset/text()")[0])
        y = int(anchor.xpath("./wp:positionV/wp:posOffset/text()")[0])
        cx, cy = (int(v) for v in anchor.xpath("./wp:extent/@cx | ./wp:extent/@cy"))
        text = " ".join("".join(p.xpath(".//w:t/text()")) for p in anchor.xpath(".//w:p"))
        geometry = anchor.xpath(".//a:prstGeom/@prst")
        found.append(
            {"name": name, "x": x, "y": y, "w": cx, "h": cy, "text": text, "prst": geometry[0] if geometry else None}
        )
        found[-1]["arrow"] = bool(anchor.xpath(".//a:ln/a:tailEnd[@type='triangle']"))
    return found


def flowchart(doc) -> list[dict]:
    """Return the step symbols drawn on each page, with the grid column and step row (from the docx geometry).

    A page's table is centred on the page and its title line is exactly 20 pt high, so
    the grid widths and the exact row heights place every cell on the page.
    """
    section = doc.sections[1]
    symbols = []
    titles = [p for p in doc.paragraphs if p.text.startswith("SOP : ")]
    for title, table in zip(titles, doc.tables[2:], strict=True):
        widths = [int(w) for w in table._tbl.xpath("./w:tblGrid/w:gridCol/@w:w")]
        heights = [int(h) for h in table._tbl.xpath("./w:tr/w:trPr/w:trHeight/@w:val")]
        assert len(heights) == len(table.rows), "every row has an exact height"
        left = (section.page_width - sum(widths) * EMU_PER_TWIP) // 2
        top = section.top_margin + 20 * 12700 + sum(heights[:2]) * EMU_PER_TWIP
        for shape in _anchors(title):
            if shape["name"] not in SYMBOL_NAMES or shape["h"] < 18 * 12700:
                continue
            centre_x, centre_y = shape["x"] + shape["w"] // 2, shape["y"] + shape["h"] // 2
            edges = [left + sum(widths[:i]) * EMU_PER_TWIP for i in range(len(widths) + 1)]
            column = next(i for i in range(len(widths)) if edges[i] < centre_x < edges[i + 1])
            assert edges[column] <= shape["x"] and shape["x"] + shape["w"] <= edges[column + 1]
            row_edges = [top + sum(heights[2 : 2 + i]) * EMU_PER_TWIP for i in range(len(heights) - 1)]
            row = next(i for i in range(len(row_edges) - 1) if row_edges[i] < centre_y < row_edges[i + 1])
            assert row_edges[row] <= shape["y"] and shape["y"] + shape["h"] <= row_edges[row + 1]
            number = int(table.rows[2 + row].cells[0].text)
            symbols.append({**shape, "column": column, "number": number, "kind": SYMBOL_NAMES[shape["name"]]})
    return sorted(symbols, key=lambda s: s["number"])


def connectors(doc) -> list[dict]:
    return [a for p in doc.paragraphs for a in _anchors(p) if a["name"] == "Konektor"]


@pytest.fixture(scope="module")
def monev():
    return load_process_file(MONEV)


@pytest.fixture(scope="module")
def monev_doc(monev):
    return open_docx(render_sop_document(monev))


@pytest.fixture(scope="module")
def mini():
    if "uji_gandakan" not in registry.names():
        registry.register("uji_gandakan")(lambda params, ctx: {"nilai": 0})
    if "uji_periksa_angka" not in registry.names():
        registry.register("uji_periksa_angka")(lambda params, ctx: {})
    return load_process_file(MINI)


def test_identity_page(monev_doc):
    values = identity(monev_doc)
    assert values["Nomor SOP"] == "002/SOP/Diskominfo/BLG/2023"
    assert values["Tanggal Pembuatan"] == "01 Januari 2023"
    assert values["Tanggal Revisi"] == "-"
    assert values["Tanggal Pengesahan"] == "01 Januari 2023"
    assert values["Judul SOP"] == "Monitoring/Evaluasi Internal Capaian Kinerja"
    disahkan = values["Disahkan oleh"]
    assert "Kepala Dinas Diskominfosan Kabupaten Balangan" in disahkan
    assert "Muhammad Nor, S.Sos., M.M." in disahkan and "NIP. 19710823 199303 1 005" in disahkan
    block = monev_doc.tables[0].rows[0].cells[0].text
    assert "PEMERINTAH KABUPATEN BALANGAN" in block
    assert "DINAS KOMUNIKASI, INFORMASI, STATISTIK DAN PERSANDIAN KABUPATEN BALANGAN" in block
    headings = [p.text for p in monev_doc.paragraphs[:2]]
    assert headings == ["STANDAR OPERASIONAL PROSEDUR (SOP)", "MONITORING/EVALUASI INTERNAL CAPAIAN KINERJA"]


def test_lists_of_the_identity_page(monev_doc):
    rows = monev_doc.tables[1].rows
    assert [c.text for c in rows[0].cells] == ["Dasar Hukum", "Kualifikasi Pelaksana"]
    assert [c.text for c in rows[2].cells] == ["Keterkaitan", "Peralatan/Perlengkapan"]
    assert [c.text for c in rows[4].cells] == ["Peringatan", "Pencatatan dan Pendataan"]
    dasar = [p.text for p in rows[1].cells[0].paragraphs]
    assert dasar == [f"{i}.\t{text}" for i, text in enumerate(DASAR_HUKUM, start=1)]
    kualifikasi = [p.text for p in rows[1].cells[1].paragraphs]
    assert kualifikasi == [f"{i}.\t{text}" for i, text in enumerate(KUALIFIKASI, start=1)]
    assert [p.text for p in rows[3].cells[1].paragraphs][3] == "4.\tPerangkat Komputer"
    assert rows[5].cells[1].text == "1.\tDisimpan sebagai dokumen pengendalian dan evaluasi kinerja"


def test_procedure_rows_lanes_and_mutu_baku(monev_doc):
    table = procedure(monev_doc)
    header = [c.text for c in table.rows[1].cells]
    assert header == ["No", "Uraian Kegiatan", *LANES, "Persyaratan/Kelengkapan", "Waktu", "Output", "Keterangan"]
    assert table.rows[0].cells[FIRST_LANE_COLUMN].text == "Pelaksana"
    assert table.rows[0].cells[FIRST_LANE_COLUMN + len(LANES)].text == "Mutu Baku"
    body = body_rows(monev_doc)
    assert len(body) == len(STEPS)
    assert len(monev_doc.tables) >= 4, "13 steps do not fit one landscape page: one table per page"
    symbols = flowchart(monev_doc)
    assert [s["number"] for s in symbols] == list(range(1, len(STEPS) + 1))
    for number, (row, (uraian, lane, waktu)) in enumerate(zip(body, STEPS, strict=True), start=1):
        cells = row.cells
        assert cells[0].text == str(number)
        assert cells[1].text == uraian
        assert symbols[number - 1]["column"] == FIRST_LANE_COLUMN + LANES.index(lane), f"langkah {number}"
        assert cells[FIRST_LANE_COLUMN + len(LANES) + 1].text == f"{waktu} hari kerja"
    step_one = body[0].cells
    assert step_one[FIRST_LANE_COLUMN + len(LANES)].text == "Format isian"
    assert step_one[FIRST_LANE_COLUMN + len(LANES) + 2].text == "Disposisi"
    assert step_one[-1].text == "-"
    assert body[3].cells[FIRST_LANE_COLUMN + len(LANES)].text == "Jadwal, Format Isian, Laporan"


def test_symbols_terminators_decisions_and_connectors(monev, monev_doc):
    kinds = [(s.symbol, s.label) for s in collect_steps(monev)]
    assert kinds[0] == ("terminator", "Mula") and kinds[-1] == ("terminator", "Selesai")
    assert [i + 1 for i, (kind, _) in enumerate(kinds) if kind == "decision"] == [9, 11]
    assert {kind for kind, _ in kinds[1:-1]} == {"process", "decision"}
    symbols = flowchart(monev_doc)
    assert [(s["kind"], s["text"]) for s in symbols] == [(kind, label) for kind, label in kinds]
    assert {s["prst"] for s in symbols if s["kind"] == "decision"} == {"flowChartDecision"}
    assert {s["prst"] for s in symbols if s["kind"] == "process"} == {"rect"}
    lines = connectors(monev_doc)
    assert lines and all(line["arrow"] for line in lines)
    # every flow is one connector, except a flow crossing a page break: one on each page, via a pentagon pair
    flows = sum(len({e.target for e in s.edges if e.target is not None}) for s in collect_steps(monev))
    shapes = [a for p in monev_doc.paragraphs for a in _anchors(p)]
    offpage = [a for a in shapes if a["prst"] == "flowChartOffpageConnector"]
    assert len(offpage) >= 2 and len(offpage) % 2 == 0
    assert len(lines) == flows + len(offpage) // 2
    decision = body_rows(monev_doc)[10].cells[-1].text  # the branches are also written out in Keterangan
    assert "Disetujui → 12" in decision and "Kembalikan untuk perbaikan → 10" in decision
    labels = [a["text"] for p in monev_doc.paragraphs for a in _anchors(p) if a["name"] == "Label"]
    assert "Disetujui" in labels and "Teruskan ke Kepala Dinas" in labels


def test_signature_block(monev_doc):
    texts = [p.text for p in monev_doc.paragraphs]
    tail = texts[texts.index("Paringin, 01 Januari 2023") :]
    assert tail[1] == "Kepala Dinas Diskominfosan Kabupaten Balangan"
    assert tail[-2:] == ["Muhammad Nor, S.Sos., M.M.", "NIP. 19710823 199303 1 005"]
    sections = monev_doc.sections
    assert sections[0].page_height > sections[0].page_width
    assert sections[1].page_width > sections[1].page_height  # the procedure table is landscape


def test_editing_the_bpmn_changes_the_document(tmp_path: Path):
    folder = tmp_path / "processes"
    shutil.copytree(MONEV.parent, folder)
    copy = folder / MONEV.name
    tree = etree.parse(str(copy), etree.XMLParser(resolve_entities=False, no_network=True))
    waktu = tree.xpath(
        "//bpmn:userTask[.//spiffworkflow:property[@name='sop.step' and @value='5']]"
        "//spiffworkflow:property[@name='sop.waktu']",
        namespaces=NSMAP,
    )
    assert [w.get("value") for w in waktu] == ["7"]
    waktu[0].set("value", "5")
    tree.write(str(copy), xml_declaration=True, encoding="UTF-8")

    doc = open_docx(render_sop_document(load_process_file(copy), revised_on=date(2026, 11, 25), version=2))
    assert identity(doc)["Tanggal Revisi"] == "25 November 2026 (versi 2)"
    row = body_rows(doc)[4]
    assert row.cells[1].text == "Melaksanakan monitoring"
    assert row.cells[FIRST_LANE_COLUMN + len(LANES) + 1].text == "5 hari kerja"


def test_a_second_process_renders_with_its_own_lanes(mini):
    doc = open_docx(render_sop_document(mini))
    table = procedure(doc)
    header = [c.text for c in table.rows[1].cells]
    mutu_baku = ["Persyaratan/Kelengkapan", "Waktu", "Output", "Keterangan"]
    assert header == ["No", "Uraian Kegiatan", "Pengusul", "Pemeriksa", *mutu_baku]
    body = body_rows(doc)
    assert [r.cells[1].text for r in body] == ["Isi angka", "Hitung", "Periksa per unit", "Putuskan"]
    assert [s["column"] for s in flowchart(doc)] == [2, 2, 3, 3]
    assert [s["kind"] for s in flowchart(doc)] == ["terminator", "process", "process", "decision"]
    assert [r.cells[5].text for r in body] == ["2 hari kerja", "1 hari kerja", "1 hari kerja", "3 jam"]
    ends = [a for p in doc.paragraphs for a in _anchors(p) if a["name"] == "Terminator" and a["text"] == "Selesai"]
    assert len(ends) == 1  # the decision's "setuju" branch ends the process: a small end terminator under it
    last = body[-1].cells[-1].text  # a decision as the last step keeps its diamond and names where it goes
    assert "setuju → Selesai" in last and "ulang → 1" in last
    values = identity(doc)
    assert values["Nomor SOP"] == "-" and values["Tanggal Revisi"] == "-" and values["Judul SOP"] == "Proses Uji Mini"


def test_the_generator_knows_no_particular_sop():
    modules = sorted((PROJECT_ROOT / "sopflow" / "sopdoc").glob("*.py"))
    assert len(modules) >= 9  # document, steps, layout, geometry, routes, drawing, text, logo
    for module in modules:
        name, source = module.name, module.read_text(encoding="utf-8").lower()
        for word in ("monev", "balangan", "diskominfo", "kasubbag", "sekretaris"):
            assert word not in source, (name, word)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-01-01", "01 Januari 2023"),
        (date(2026, 11, 25), "25 November 2026"),
        ("", "-"),
        (None, "-"),
        ("1 Mei 2024", "1 Mei 2024"),
    ],
)
def test_format_tanggal(value, expected):
    assert format_tanggal(value) == expected
