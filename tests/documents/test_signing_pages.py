"""The signing pages over HTTP: certificate upload on /profil/sertifikat, the signing page, the case page's PDFs,
and the case without LibreOffice (the PDF column says so in Indonesian; the task completes unsigned, on record)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from io import BytesIO

from sqlalchemy import select

from sopflow.persistence.models import AuditEvent
from sopflow.signing.test_ca import issue_pkcs12
from tests.documents.support import csrf_token, login, play_to_signing, require_libreoffice, sqlite_pass_only
from webapp import create_app

pytestmark = sqlite_pass_only

PASSPHRASE = "frasa-sandi-web-4417"


def _upload(client, p12: bytes, passphrase: str):
    token = csrf_token(client, "/profil/sertifikat")
    return client.post(
        "/profil/sertifikat",
        data={"csrf_token": token, "passphrase": passphrase, "berkas": (BytesIO(p12), "kadis.p12")},
        content_type="multipart/form-data",
    )


def test_register_and_sign_through_the_pages(engine, app, client, test_ca):
    require_libreoffice()
    case = play_to_signing(engine)
    case_id, task_id = case["case_id"], case["task_id"]
    now = datetime.now(UTC)
    p12 = issue_pkcs12(test_ca, "Kepala Dinas", PASSPHRASE, now - timedelta(days=1), now + timedelta(days=30))
    login(client, "kadis")

    refused = _upload(client, p12, "bukan-frasa-sandinya")
    assert refused.status_code == 422
    assert "Frasa sandi sertifikat salah" in refused.get_data(as_text=True)
    assert 'data-testid="no-certificate"' in client.get("/profil/sertifikat").get_data(as_text=True)
    assert _upload(client, p12, PASSPHRASE).status_code == 302
    listed = client.get("/profil/sertifikat").get_data(as_text=True)
    assert 'data-testid="certificate-row" data-active="ya"' in listed and "SERTIFIKAT UJI" in listed

    # the case page: each generated .docx has its PDF beside it, and the signing task a "Tandatangani" link
    page = client.get(f"/kasus/{case_id}").get_data(as_text=True)
    assert page.count('data-testid="document-pdf-link"') >= 3  # draft, revised draft, final
    assert f'href="/tugas/{task_id}/tanda-tangan" data-testid="sign-link">Tandatangani' in page

    # "Tugas saya" links to the task page, which opens a ready signing task on its signing page
    opened = client.get(f"/tugas/{task_id}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/tugas/{task_id}/tanda-tangan")
    sign_page = client.get(f"/tugas/{task_id}/tanda-tangan").get_data(as_text=True)
    assert 'data-testid="sign-pdf-link"' in sign_page and "Ditandatangani secara elektronik" in sign_page

    token = csrf_token(client, f"/tugas/{task_id}/tanda-tangan")
    wrong = client.post(f"/tugas/{task_id}/tanda-tangan", data={"csrf_token": token, "passphrase": "salah"})
    assert wrong.status_code == 422 and "Frasa sandi sertifikat salah" in wrong.get_data(as_text=True)
    signed = client.post(f"/tugas/{task_id}/tanda-tangan", data={"csrf_token": token, "passphrase": PASSPHRASE})
    assert signed.status_code == 302 and signed.headers["Location"].endswith(f"/kasus/{case_id}")
    assert engine.wait_for_jobs(case_id, timeout=120)
    page = client.get(f"/kasus/{case_id}").get_data(as_text=True)
    assert "-ditandatangani.pdf" in page and 'data-testid="case-status">Selesai' in page

    # an auditor can neither register nor sign nor ask for a PDF
    auditor = app.test_client()
    login(auditor, "inspektorat")
    token = csrf_token(auditor, "/kasus")
    assert auditor.post("/profil/sertifikat", data={"csrf_token": token}).status_code == 403
    assert auditor.post(f"/tugas/{task_id}/tanda-tangan", data={"csrf_token": token}).status_code == 403
    assert auditor.post(f"/kasus/{case_id}/dokumen/1/pdf", data={"csrf_token": token}).status_code == 403


def test_without_libreoffice_the_case_page_says_so_and_the_task_completes_unsigned(
    engine, client, monkeypatch, tmp_path
):
    monkeypatch.setenv("SOFFICE", str(tmp_path / "tidak-terpasang" / "soffice"))
    case = play_to_signing(engine)  # every PDF job ends at once, noting that LibreOffice is missing
    case_id, task_id = case["case_id"], case["task_id"]
    login(client, "kadis")
    page = client.get(f"/kasus/{case_id}").get_data(as_text=True)
    assert 'data-testid="document-pdf-unavailable"' in page and "LibreOffice belum terpasang" in page
    assert 'data-testid="document-pdf-link"' not in page
    sign_page = client.get(f"/tugas/{task_id}/tanda-tangan").get_data(as_text=True)
    assert 'data-testid="sign-unsigned"' in sign_page and 'data-testid="sign-form"' not in sign_page

    token = csrf_token(client, f"/tugas/{task_id}/tanda-tangan")
    done = client.post(f"/tugas/{task_id}/tanda-tangan", data={"csrf_token": token, "tanpa_tanda_tangan": "1"})
    assert done.status_code == 302
    assert engine.wait_for_jobs(case_id, timeout=120)
    assert engine.case_outcome(case_id).status == "selesai"
    with engine.db.reading() as session:
        kinds = session.scalars(select(AuditEvent.kind).where(AuditEvent.case_id == case_id)).all()
    assert "signature_skipped" in kinds and "document_signed" not in kinds


class RecordingTransport:
    """A broker stand-in for the web app: jobs are recorded, and run only when the test says so."""

    name = "recording"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, job_ids: list[str], countdown: float = 0.0) -> None:
        self.sent.extend(job_ids)


def test_buat_pdf_queues_a_job_and_the_case_page_shows_it_until_it_ran(engine, settings, monkeypatch, tmp_path):
    require_libreoffice()
    monkeypatch.setenv("SOFFICE", str(tmp_path / "belum-terpasang"))
    case_id = play_to_signing(engine)["case_id"]
    monkeypatch.delenv("SOFFICE")  # LibreOffice is installed afterwards
    transport = RecordingTransport()
    app = create_app({"TESTING": True, "SOPFLOW_SETTINGS": settings, "SOPFLOW_TRANSPORT": transport})
    client = login(app.test_client(), "kasubbag_perencanaan")
    page = client.get(f"/kasus/{case_id}").get_data(as_text=True)
    final = re.search(r'data-doc-id="(\d+)">laporan_monev_kinerja_2026-TW3\.docx</a>', page)
    assert final and 'data-testid="document-make-pdf"' in page
    token = csrf_token(client, f"/kasus/{case_id}")
    asked = client.post(f"/kasus/{case_id}/dokumen/{final.group(1)}/pdf", data={"csrf_token": token})
    assert asked.status_code == 302 and len(transport.sent) == 1  # queued: the request converted nothing
    page = client.get(f"/kasus/{case_id}").get_data(as_text=True)
    assert 'data-testid="document-pdf-pending">PDF sedang dibuat' in page
    assert engine.run_job(transport.sent[0]).outcome == "done"  # what a worker does
    page = client.get(f"/kasus/{case_id}").get_data(as_text=True)
    assert 'data-testid="document-pdf-link"' in page
    app.extensions["sopflow"].db.dispose()
