"""The case list, a case on its diagram, and starting a case from the web."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from io import BytesIO

import pytest

from tests.webapp.conftest import SAMPLES, play_steps, post


def _diagram_data(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="diagram-data">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


def test_case_list_links_every_case(client, login_as, demo_case):
    login_as("kadis")  # a lane of sopflow.lihat_semua_kasus: every case
    page = client.get("/kasus").get_data(as_text=True)
    assert f'data-case-id="{demo_case["case_id"]}"' in page and "2026-TW3" in page
    assert 'data-testid="start-case"' not in page  # only process owners start cases
    login_as("kabid_ikp")  # no task of the Kepala Bidang lane in the case yet: not listed
    assert f'data-case-id="{demo_case["case_id"]}"' not in client.get("/kasus").get_data(as_text=True)


def test_case_page_draws_the_diagram_with_markers(client, login_as, demo_case):
    login_as("inspektorat")
    response = client.get(f"/kasus/{demo_case['case_id']}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="diagram"' in page and 'data-testid="diagram"' in page
    assert "/static/vendor/bpmn-js/bpmn-viewer.production.min.js" in page and "cdn" not in page.lower()
    data = _diagram_data(page)
    assert data["xml"].lstrip().startswith("<?xml") or "<bpmn:definitions" in data["xml"]
    assert data["active"] == ["langkah01_format_isian"]
    assert "siapkan_format_isian" in data["completed"]
    assert data["overdue"] == [] and data["failed"] == []
    assert 'data-element-id="langkah01_format_isian"' in page
    assert page.count('data-testid="document-link"') == 5


def test_overdue_elements_are_marked(client, login_as, demo_case, clock):
    clock.shift = timedelta(days=60)
    login_as("sekretaris")
    data = _diagram_data(client.get(f"/kasus/{demo_case['case_id']}").get_data(as_text=True))
    assert data["overdue"] == ["langkah01_format_isian"]


def test_multi_instance_tasks_are_marked_by_their_element_id(client, login_as, demo_case):
    play_steps(demo_case["engine"], demo_case["case_id"], "langkah02_pengumpulan_data")
    login_as("sekretaris")
    page = client.get(f"/kasus/{demo_case['case_id']}").get_data(as_text=True)
    assert _diagram_data(page)["active"] == ["langkah02_pengumpulan_data"]
    assert page.count('data-element-id="langkah02_pengumpulan_data"') == 5


def test_vendored_viewer_assets_are_served(client):
    for name in ("bpmn-viewer.production.min.js", "diagram-js.css", "bpmn-js.css", "LICENSE", "VERSION"):
        response = client.get(f"/static/vendor/bpmn-js/{name}")
        assert response.status_code == 200, name
        response.close()
    assert client.get("/static/js/diagram.js").status_code == 200


def test_unknown_case_is_404(client, login_as, demo_users):
    login_as("sekretaris")
    response = client.get("/kasus/tidak-ada")
    assert response.status_code == 404
    assert "tidak ditemukan" in response.get_data(as_text=True)


def test_owner_starts_a_case_with_the_sample_data(client, login_as, demo_users):
    login_as("sekretaris")
    page = client.get("/kasus").get_data(as_text=True)
    assert 'data-testid="start-form"' in page and 'value="monev_kinerja"' in page
    response = post(client, "/kasus/baru", {"process_id": "monev_kinerja", "periode": "2026-TW4", "contoh": "1"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/kasus/")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Kasus periode 2026-TW4 dimulai." in page and "2026-TW4" in page


def test_owner_starts_a_case_with_an_uploaded_indicator_file(client, login_as, demo_users):
    login_as("admin")
    content = (SAMPLES / "indikator_2026.json").read_bytes()
    response = post(
        client,
        "/kasus/baru",
        {"process_id": "monev_kinerja", "periode": "2026-TW1", "indikator": (BytesIO(content), "indikator.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"periode": "2026-TW3", "contoh": "1"}, "Periode 2026-TW3 sudah memiliki kasus."),
        ({"periode": "triwulan tiga", "contoh": "1"}, "Periode: format tidak sesuai."),
        ({"periode": "2026-TW2"}, "Berkas indikator (.json) wajib diunggah"),
        ({"periode": "2026-TW2", "indikator": (BytesIO(b"{bukan json"), "x.json")}, "bukan JSON yang sah"),
        ({"periode": "2026-TW2", "indikator": (BytesIO(b"[1, 2]"), "x.json")}, "harus objek JSON"),
        ({"periode": "2026-TW2", "indikator": (BytesIO(b'{"indikator": []}'), "x.json")}, "wajib diisi"),
    ],
)
def test_start_with_bad_input_is_422_with_the_entries_kept(client, login_as, demo_case, form, message):
    login_as("sekretaris")
    response = post(client, "/kasus/baru", {"process_id": "monev_kinerja", **form}, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page, page[page.find("start-error") :][:800]
    assert f'value="{form["periode"]}"' in page


@pytest.mark.parametrize("username", ["kabid_ikp", "inspektorat", "kadis"])
def test_only_process_owners_start_cases(client, login_as, demo_users, username):
    login_as(username)
    response = post(client, "/kasus/baru", {"process_id": "monev_kinerja", "periode": "2026-TW4", "contoh": "1"})
    assert response.status_code == 403
    assert 'data-testid="start-form"' not in client.get("/kasus").get_data(as_text=True)
