"""The SOP document as PDF/A from the editor: asked for on the page, made by a job, downloaded when ready."""

from __future__ import annotations

import os
import re

import pytest

from .conftest import post

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass")
_JOB = re.compile(r"/proses/monev_kinerja/sop\.pdf/([0-9a-f]+)$")


def _ask(client) -> str:
    response = post(client, "/proses/monev_kinerja/sop.pdf")
    assert response.status_code == 302
    found = _JOB.search(response.headers["Location"])
    assert found, response.headers["Location"]
    return found.group(1)


def test_the_owner_gets_a_pdfa_of_the_published_sop_made_by_a_job(login_as, demo_users):
    owner = login_as("sekretaris")
    job_id = _ask(owner)
    page = owner.get(f"/proses/monev_kinerja/sop.pdf/{job_id}").get_data(as_text=True)
    # without a broker the job ran right after the request's commit
    assert 'data-testid="sop-pdf-ready"' in page
    pdf = owner.get(f"/proses/monev_kinerja/sop.pdf/{job_id}/unduh")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and b"pdfaid:part" in pdf.data
    assert "monev_kinerja-v1-sop.pdf" in pdf.headers["Content-Disposition"]
    assert _ask(owner) == job_id  # the same version asked again: the PDF already made


def test_without_libreoffice_the_page_says_so_and_nothing_breaks(login_as, demo_users, monkeypatch, tmp_path):
    monkeypatch.setenv("SOFFICE", str(tmp_path / "tidak-ada" / "soffice"))
    owner = login_as("sekretaris")
    job_id = _ask(owner)
    page = owner.get(f"/proses/monev_kinerja/sop.pdf/{job_id}").get_data(as_text=True)
    assert 'data-testid="sop-pdf-unavailable"' in page and "LibreOffice belum terpasang" in page
    assert owner.get(f"/proses/monev_kinerja/sop.pdf/{job_id}/unduh").status_code == 404
    assert owner.get("/proses/monev_kinerja/sop.docx").status_code == 200  # the .docx still works


def test_only_process_owners_may_ask(login_as, demo_users):
    actor = login_as("kabid_ikp")
    assert post(actor, "/proses/monev_kinerja/sop.pdf").status_code == 403
