"""The demo's final Laporan checked by looking: LibreOffice renders it to PDF, pdfplumber reads it.

Chapters BAB I-IV present, "Halaman i dari N" on every page, the daftar isi's page numbers
right, "DATA CONTOH" on the cover (the demo runs on sample data), no word split across
lines (every word the PDF shows is a word of the .docx), every percentage in the form
``87,5%``, and no workflow metadata ("putaran revisi") in the body.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
from collections.abc import Iterator

import pdfplumber
import pytest
from lxml import etree

from sopflow.documents.pdf_export import docx_to_pdf
from tests.reports.laporan_demo import demo_final_report

pytestmark = [
    pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass"),
    pytest.mark.skipif(
        shutil.which("soffice") is None and not os.environ.get("CI"), reason="LibreOffice (soffice) is not installed"
    ),
]

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CHAPTERS = ("BAB I PENDAHULUAN", "BAB II HASIL MONITORING", "BAB III ANALISIS CAPAIAN", "BAB IV PENUTUP")
LEADER = re.compile(r"\.{3,}")  # the daftar isi's dot leaders


class Rendered:
    """The final report's .docx, its PDF, and the PDF's text per page."""

    def __init__(self, docx: bytes) -> None:
        self.docx = docx
        self.pdf = docx_to_pdf(docx)
        with pdfplumber.open(io.BytesIO(self.pdf)) as pdf:
            self.pages = [page.extract_text() or "" for page in pdf.pages]
            self.words = [[w["text"] for w in page.extract_words()] for page in pdf.pages]


@pytest.fixture(scope="module")
def laporan(tmp_path_factory) -> Rendered:
    return Rendered(demo_final_report(tmp_path_factory.mktemp("laporan")))


def pieces(word: str) -> list[str]:
    """Split a word after its hyphens ("SP4N-LAPOR!" -> "SP4N-", "LAPOR!"): a line may end after a hyphen."""
    return re.findall(r"[^-]+-?|-", word)


def docx_texts(docx: bytes) -> Iterator[str]:
    """The text of every paragraph of the document, its headers and footers (runs joined)."""
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        for name in archive.namelist():
            if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", name):
                root = etree.fromstring(archive.read(name))
                for paragraph in root.iter(f"{W}p"):
                    parts = []
                    for node in paragraph.iter(f"{W}t", f"{W}tab", f"{W}br"):
                        parts.append(node.text or "" if node.tag == f"{W}t" else " ")
                    yield "".join(parts)


def test_chapters_and_page_numbers(laporan):
    total = len(laporan.pages)
    assert total >= 8
    for number, text in enumerate(laporan.pages, start=1):
        assert f"Halaman {number} dari {total}" in text, number
    lines = [[line.strip() for line in text.splitlines()] for text in laporan.pages]
    for chapter in (*CHAPTERS, "LAMPIRAN REKAP DATA KINERJA"):
        # the chapter opens a page (after the running header), and the daftar isi (page 2) names that page
        [page] = [n for n, page_lines in enumerate(lines, start=1) if chapter in page_lines[:3]]
        toc = next(line for line in lines[1] if LEADER.sub(" ", line).startswith(chapter))
        assert toc.endswith(str(page)), (chapter, toc, page)


def test_cover_marks_sample_data_and_names_the_periode(laporan):
    cover = laporan.pages[0]
    assert "DATA CONTOH" in cover
    assert "LAPORAN MONITORING DAN EVALUASI INTERNAL" in cover and "Triwulan III Tahun 2026" in cover
    assert "Status dokumen: FINAL" in cover


def split_words(docx: bytes, pdf_words: list[list[str]]) -> list[tuple[int, str]]:
    """Return (page, fragment) for every PDF word that is no word (nor hyphen piece) of the .docx."""
    known = {piece for text in docx_texts(docx) for word in text.split() for piece in pieces(word)}
    total = len(pdf_words)
    strays = []
    for number, words in enumerate(pdf_words, start=1):
        for word in words:
            for token in LEADER.sub(" ", word).split():
                for piece in pieces(token):
                    if piece in known or (piece.isdigit() and int(piece) <= total):  # page numbers (fields)
                        continue
                    strays.append((number, piece))
    return strays


def test_no_word_is_split_across_lines(laporan):
    assert split_words(laporan.docx, laporan.words) == []


def test_the_split_word_check_sees_a_word_cut_by_a_narrow_column():
    """The check above can fail: a 1 cm column cuts "Penyerapan" and the check names the pieces."""
    from docx import Document
    from docx.shared import Cm

    document = Document()
    table = document.add_table(rows=1, cols=2)
    table.autofit = False
    for column, width, text in zip(table.columns, (Cm(1), Cm(10)), ("Penyerapan", "anggaran"), strict=True):
        column.width = width  # the grid (LibreOffice lays out by it) and every cell
        column.cells[0].width = width
        column.cells[0].text = text
    out = io.BytesIO()
    document.save(out)
    rendered = Rendered(out.getvalue())
    assert split_words(rendered.docx, rendered.words)  # e.g. "Penyer", "apan"


def test_percentages_have_one_form(laporan):
    tokens = [t for text in laporan.pages for t in re.findall(r"\S*%\S*", text)]
    assert len(tokens) > 50
    for token in tokens:
        core = token.strip("().,;:")
        if core == "%":  # the unit column (satuan)
            continue
        assert re.fullmatch(r"-?\d{1,3}(\.\d{3})*(,\d+)?%\*?", core), token


def test_no_workflow_metadata_in_the_body_and_the_signer_from_the_user_record(laporan):
    text = "\n".join(laporan.pages)
    assert "putaran revisi" not in text.lower()
    assert "catatan verifikasi" not in text.lower() and "disposisi" not in text.lower()
    signature_page = next(page for page in laporan.pages if "BAB IV PENUTUP" in page.splitlines()[:3])
    assert "Kepala Dinas (contoh)" in signature_page and "NIP. 19800918 200501 1 008" in signature_page
