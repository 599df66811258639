"""Step 13: archive with SHA-256 verification and retention metadata."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime

import pytest

from handlers.archive_documents import archive_documents
from sopflow.plugins import HandlerError

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_documents_are_tagged_with_retention(ctx, files):
    final = files.put(b"laporan final", "laporan.docx", DOCX, kind="laporan_final")
    draft = files.put(b"draf", "draf.docx", DOCX, kind="draft_laporan")
    result = archive_documents({"periode": "2026-TW3", "dokumen": [final, None, draft, final]}, ctx)
    assert result["jumlah"] == 2
    tags = [r for r in files.records if r["op"] == "tag"]
    assert [t["ref"]["sha256"] for t in tags] == [final["sha256"], draft["sha256"]]
    assert {t["kind"] for t in tags} == {"arsip"}
    assert tags[0]["meta"] == {
        "periode": "2026-TW3",
        "klasifikasi": "Dokumen pengendalian dan evaluasi kinerja",
        "retensi_tahun": 5,
        "retensi_sampai": "2031-10-12",
        "diarsipkan_pada": "2026-10-12T09:30:00",
    }
    assert result["entri"][0]["filename"] == "laporan.docx" and result["entri"][0]["retensi_sampai"] == "2031-10-12"


def test_leap_day_retention(ctx, files):
    ref = files.put(b"x", "x.docx", DOCX)
    result = archive_documents({"periode": "2028-TW1", "dokumen": [ref]}, replace(ctx, now=datetime(2028, 2, 29, 8)))
    assert result["entri"][0]["retensi_sampai"] == "2033-02-28"


class TamperedFiles:
    """A store that returns other bytes than were stored (a file altered on disk)."""

    def __init__(self, inner):
        self.inner = inner

    def put(self, *args, **kwargs):
        return self.inner.put(*args, **kwargs)

    def get(self, ref):
        return self.inner.get(ref) + b" diubah"

    def tag(self, ref, kind, meta=None):
        return self.inner.tag(ref, kind, meta)


def test_altered_bytes_stop_the_archive(ctx, files):
    good = files.put(b"laporan final", "laporan.docx", DOCX)
    with pytest.raises(HandlerError) as info:
        archive_documents({"periode": "2026-TW3", "dokumen": [good]}, replace(ctx, files=TamperedFiles(files)))
    error = info.value.errors[0]
    assert (error["code"], error["file"], error["field"]) == ("hash_mismatch", "laporan.docx", "dokumen")
    assert not [r for r in files.records if r["op"] == "tag"]  # nothing archived


def test_missing_file_and_bad_entries(ctx, files):
    good = files.put(b"ok", "ok.docx", DOCX)
    missing = {"sha256": hashlib.sha256(b"hilang").hexdigest(), "filename": "hilang.docx", "size": 6}
    with pytest.raises(HandlerError) as info:
        archive_documents({"periode": "2026-TW3", "dokumen": [good, missing, "laporan.docx"]}, ctx)
    assert [e["code"] for e in info.value.errors] == ["file_unavailable", "not_a_fileref"]
    assert not [r for r in files.records if r["op"] == "tag"]


def test_size_mismatch(ctx, files):
    ref = files.put(b"abc", "a.docx", DOCX)
    with pytest.raises(HandlerError) as info:
        archive_documents({"periode": "2026-TW3", "dokumen": [{**ref, "size": 4}]}, ctx)
    assert info.value.errors[0]["code"] == "size_mismatch"
