"""The case page's step list: every step in order, human and automatic, each with who did it."""

from __future__ import annotations

import re

from sopflow.access import tokens

from .conftest import play_steps

_ROW = re.compile(
    r'<tr class="[^"]*" data-testid="step-row"\s+data-element-id="([^"]+)" data-state="([^"]+)" '
    r'data-kind="([^"]+)" data-actor="([^"]*)">(.*?)</tr>',
    re.S,
)


def _rows(page: str) -> list[tuple[str, str, str, str, str]]:
    return [(e, s, k, a, re.sub(r"\s+", " ", body)) for e, s, k, a, body in _ROW.findall(page)]


def test_step_list_shows_automatic_steps_by_sistem_with_who_triggered_them(client, login_as, engine, demo_case):
    case_id = demo_case["case_id"]
    play_steps(engine, case_id, "langkah04_rencana_monev")
    login_as("sekretaris")
    rows = _rows(client.get(f"/kasus/{case_id}").get_data(as_text=True))
    elements = [e for e, *_ in rows]
    assert elements[:2] == ["siapkan_format_isian", "langkah01_format_isian"]
    assert elements[2:7] == ["langkah02_pengumpulan_data"] * 5
    assert elements[7:] == ["langkah03_olah_data", "langkah04_rencana_monev"]
    first, step3 = rows[0], rows[7]
    assert first[2:4] == ("otomatis", "sistem") and "Sistem" in first[4]
    assert "(dipicu oleh Sekretaris Dinas (contoh))" in first[4] and "Siapkan format isian per Bidang" in first[4]
    # step 3 ran in the job queued by the last Kepala Bidang's "Selesai": done by Sistem, triggered by that person
    assert step3[2:4] == ("otomatis", "sistem") and "Mengolah data" in step3[4]
    assert "(dipicu oleh Kepala Bidang Persandian (contoh))" in step3[4]
    assert "kabid_persandian" not in step3[4]
    human = rows[1]
    assert (
        human[2:4] == ("manusia", "sekretaris") and "Sekretaris: <strong>Sekretaris Dinas (contoh)</strong>" in human[4]
    )
    assert rows[-1][1] == "ready" and '<span class="badge">aktif</span>' in rows[-1][4]


def test_a_kepala_bidang_sees_the_automatic_steps_and_only_their_bidang(client, login_as, engine, demo_case):
    case_id = demo_case["case_id"]
    play_steps(engine, case_id, "langkah04_rencana_monev")
    login_as("kabid_statistik")
    rows = _rows(client.get(f"/kasus/{case_id}").get_data(as_text=True))
    step2 = [r for r in rows if r[0] == "langkah02_pengumpulan_data"]
    assert len(step2) == 1 and "Statistik" in step2[0][4]
    assert [r[0] for r in rows if r[2] == "otomatis"] == ["siapkan_format_isian", "langkah03_olah_data"]


def test_the_api_case_carries_the_same_step_list(app, client, engine, demo_case):
    case_id = demo_case["case_id"]
    play_steps(engine, case_id, "langkah04_rencana_monev")
    with app.extensions["sopflow"].db.unit_of_work() as session:
        token = tokens.issue_token(session, "sekretaris")
    body = client.get(f"/api/v1/cases/{case_id}", headers={"Authorization": f"Bearer {token}"}).get_json()
    steps = body["steps"]
    assert [s["element_id"] for s in steps][:2] == ["siapkan_format_isian", "langkah01_format_isian"]
    automatic = [s for s in steps if s["kind"] == "otomatis"]
    assert [s["element_id"] for s in automatic] == ["siapkan_format_isian", "langkah03_olah_data"]
    assert all(s["actor"] == "sistem" and s["actor_name"] == "Sistem" for s in automatic)
    assert [s["dipicu_oleh"] for s in automatic] == ["sekretaris", "kabid_persandian"]
    assert steps[1]["actor"] == "sekretaris" and steps[1]["actor_name"] == "Sekretaris Dinas (contoh)"
