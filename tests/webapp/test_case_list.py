"""The case list: title (not the process id), periode, current steps, due date, status; sortable,
filtered and paged on the page (query string) and in the API (``GET /api/v1/cases``)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest

from sopflow import StartInstance
from sopflow.access import tokens
from sopflow.persistence.models import HumanTask
from sopflow.plugins import registry
from sopflow.settings import PROJECT_ROOT

from .conftest import SAMPLES

MINI = PROJECT_ROOT / "tests" / "engine" / "data" / "mini.bpmn"
TITLE = "Monitoring/Evaluasi Internal Capaian Kinerja"


def _second_process_handlers() -> None:
    """Register the two operators the mini process names (never run here: its case stays at step 1)."""
    for name in ("uji_gandakan", "uji_periksa_angka"):
        if name not in registry.names():
            registry.register(name)(lambda params, ctx: {})


_ROW = re.compile(r'data-testid="case-row" data-case-id="([^"]+)" data-status="[^"]*" data-periode="([^"]+)"')


@pytest.fixture
def cases(app, engine, demo_users) -> dict[str, Any]:
    """Four monev cases (2025-TW4, 2026-TW1..TW3) and one of a second process (2026-TW2), all at their first step."""
    data = json.loads((SAMPLES / "indikator_2026.json").read_text(encoding="utf-8"))
    start = {k: data[k] for k in ("indikator", "kegiatan")}
    made: dict[str, str] = {}
    for periode in ("2026-TW1", "2025-TW4", "2026-TW3", "2026-TW2"):
        made[periode] = engine.start_instance(StartInstance("monev_kinerja", "sekretaris", periode, start)).case_id
    _second_process_handlers()
    engine.publish_process(MINI, "sistem", "uji")
    made["mini"] = engine.start_instance(
        StartInstance("mini", "sekretaris", "2026-TW2", {"daftar_unit": [{"unit": "U1"}]})
    ).case_id
    now = engine.clock()
    # due dates: 2026-TW1 earliest (overdue), then mini, 2025-TW4, 2026-TW2, 2026-TW3
    order = ["2026-TW1", "mini", "2025-TW4", "2026-TW2", "2026-TW3"]
    with engine.db.unit_of_work() as session:
        for index, key in enumerate(order):
            for row in session.query(HumanTask).filter(HumanTask.case_id == made[key]):
                row.due_at = now + timedelta(days=index * 3 - 1)
    with app.extensions["sopflow"].db.unit_of_work() as session:
        token = tokens.issue_token(session, "sekretaris")
    return {"ids": made, "by_due": [made[k] for k in order], "token": token}


def _rows(client, query: str = "") -> list[tuple[str, str]]:
    response = client.get(f"/kasus?{query}")
    assert response.status_code == 200
    return _ROW.findall(response.get_data(as_text=True))


def _api(client, token: str, query: str = "") -> dict[str, Any]:
    response = client.get(f"/api/v1/cases?{query}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_list_shows_title_periode_current_step_due_date_and_status(cases, login_as, client) -> None:
    login_as("sekretaris")
    page = client.get("/kasus").get_data(as_text=True)
    row = page[page.index(f'data-case-id="{cases["ids"]["2026-TW3"]}"') :]
    row = row[: row.index("</tr>")]
    assert f">{TITLE}</a>" in row and "2026-TW3" in row
    assert "1. Membuat format isian" in row  # the current step by number and name
    assert re.search(
        r"\d{1,2} (Januari|Februari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober|November|"
        r"Desember) 20\d\d \d\d:\d\d WITA",
        row,
    )
    assert ">Berjalan</span>" in row and "oleh Sekretaris Dinas (contoh)" in row
    assert "monev_kinerja" not in row
    overdue = page[page.index(f'data-case-id="{cases["ids"]["2026-TW1"]}"') - 40 :]
    assert overdue.startswith('<tr class="terlambat"') or "Terlambat" in overdue[: overdue.index("</tr>")]
    assert "Proses Uji Mini" in page


def test_sorting_by_each_column_both_ways(cases, login_as, client) -> None:
    login_as("sekretaris")
    ids = cases["ids"]
    default = [case_id for case_id, _ in _rows(client)]
    # periode newest first (ties: the later start first)
    assert default == [ids["2026-TW3"], ids["mini"], ids["2026-TW2"], ids["2026-TW1"], ids["2025-TW4"]]
    assert [p for _, p in _rows(client, "urut=periode&arah=naik")] == sorted(p for _, p in _rows(client))
    assert [c for c, _ in _rows(client, "urut=tenggat")] == cases["by_due"]
    assert [c for c, _ in _rows(client, "urut=tenggat&arah=turun")] == cases["by_due"][::-1]
    titles = [c for c, _ in _rows(client, "urut=judul")]
    assert titles[:4] != [] and titles[-1] == ids["mini"]  # "Monitoring..." < "Proses Uji Mini"
    assert next(c for c, _ in _rows(client, "urut=judul&arah=turun")) == ids["mini"]
    started = [c for c, _ in _rows(client, "urut=dimulai")]
    assert started == [ids["mini"], ids["2026-TW2"], ids["2026-TW3"], ids["2025-TW4"], ids["2026-TW1"]]
    # the active column is marked for assistive technology, and its link turns the direction
    page = client.get("/kasus?urut=tenggat").get_data(as_text=True)
    assert 'aria-sort="ascending"' in page and 'href="/kasus?urut=tenggat&amp;arah=turun"' in page
    # the API: same keys, direction asc/desc
    token = cases["token"]
    assert [c["case_id"] for c in _api(client, token, "order=tenggat")["cases"]] == cases["by_due"]
    assert [c["case_id"] for c in _api(client, token, "order=dimulai&direction=asc")["cases"]] == started[::-1]
    bad = client.get("/api/v1/cases?order=x&direction=y", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400 and set(bad.get_json()["error"]["fields"]) == {"order", "direction"}


def test_filters_and_pages(cases, login_as, client, app) -> None:
    login_as("sekretaris")
    ids = cases["ids"]
    assert {c for c, _ in _rows(client, "periode=2026-TW2")} == {ids["2026-TW2"], ids["mini"]}
    assert _rows(client, "status=selesai") == []
    assert 'data-testid="cases-empty">Tidak ada kasus untuk saringan ini.' in client.get("/kasus?status=selesai").text
    assert len(_rows(client, "status=berjalan")) == 5
    app.config["SOPFLOW_CASE_PAGE_SIZE"] = 2
    everything = [c for c, _ in _rows(client, "urut=tenggat")]
    assert everything == cases["by_due"][:2]
    second = client.get("/kasus?urut=tenggat&halaman=2").get_data(as_text=True)
    assert [c for c, _ in _ROW.findall(second)] == cases["by_due"][2:4]
    assert "Halaman 2 dari 3" in second
    assert 'href="/kasus?urut=tenggat&amp;halaman=3" rel="next"' in second
    assert 'href="/kasus?urut=tenggat" rel="prev"' in second
    assert [c for c, _ in _rows(client, "urut=tenggat&halaman=3")] == cases["by_due"][4:]
    # the API pages and counts the same way
    token = cases["token"]
    body = _api(client, token, "order=tenggat&limit=2&offset=2")
    assert [c["case_id"] for c in body["cases"]] == cases["by_due"][2:4] and body["total"] == 5
    first = _api(client, token, "periode=2026-TW3")["cases"]
    assert len(first) == 1 and first[0]["process_name"] == TITLE
    assert first[0]["current_steps"][0]["name"] == "Membuat format isian" and first[0]["current_steps"][0]["step"] == 1
    assert _api(client, token, "status=selesai")["total"] == 0
