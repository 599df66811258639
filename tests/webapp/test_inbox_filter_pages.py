"""Inbox filters (semua / milik saya / belum diklaim / terlambat / jatuh tempo), sort and pages,
on the page (kept in the URL) and in the API (``GET /api/v1/tasks?filter=...``).

Ten step-2 tasks (two cases × five Bidang) wait for one Kepala Bidang of every Bidang; their
due dates are set so that the due-date order is the reverse of the order the rows were
written, so a query without ORDER BY (or without LIMIT) gives a different answer.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest

from sopflow import ClaimTask, StartInstance
from sopflow.access import tokens
from sopflow.persistence.models import HumanTask
from sopflow.queries import inbox

from .conftest import SAMPLES, open_tasks, play_steps

BIDANG = ["Sekretariat", "Informasi dan Komunikasi Publik", "Aplikasi Informatika", "Statistik", "Persandian"]
USER = "kabid_semua"
PASSWORD = "kata-sandi-uji"
_ROW = re.compile(r'data-testid="task-row" data-task-id="([^"]+)"')


@pytest.fixture
def world(app, engine, demo_users, make_user, clock) -> dict[str, Any]:
    """Two cases at step 2; ``kabid_semua`` (every Bidang) has 10 ready tasks with crafted due dates."""
    data = json.loads((SAMPLES / "indikator_2026.json").read_text(encoding="utf-8"))
    start = {k: data[k] for k in ("indikator", "kegiatan")}
    make_user(USER, lanes=["Kepala Bidang"], units=BIDANG)
    make_user("kabid_lain", lanes=["Kepala Bidang"], units=BIDANG)
    tasks: list[str] = []
    for periode in ("2026-TW3", "2026-TW4"):
        case_id = engine.start_instance(StartInstance("monev_kinerja", "sekretaris", periode, start)).case_id
        play_steps(engine, case_id, "langkah02_pengumpulan_data")
        tasks += [t["task_id"] for t in open_tasks(engine, case_id, "langkah02_pengumpulan_data")]
    now = clock()
    soon = inbox.due_soon_until(now, engine.services.calendar, engine.services.timezone)
    with engine.db.unit_of_work() as session:
        rows = sorted(session.query(HumanTask).filter(HumanTask.id.in_(tasks)), key=lambda r: r.ready_at)
        # reverse of the writing order: the first written task is due last
        for index, row in enumerate(rows):
            row.due_at = soon + timedelta(days=30 - index)
        written = [r.id for r in rows]
    overdue = written[-2:]  # due an hour ago and a day ago
    due_soon = written[3:5]  # due within two working days
    with engine.db.unit_of_work() as session:
        session.get(HumanTask, overdue[0]).due_at = now - timedelta(hours=1)
        session.get(HumanTask, overdue[1]).due_at = now - timedelta(days=1)
        session.get(HumanTask, due_soon[0]).due_at = now + timedelta(hours=2)
        session.get(HumanTask, due_soon[1]).due_at = soon - timedelta(minutes=1)
        session.get(HumanTask, written[5]).due_at = soon + timedelta(hours=1)  # just after the horizon
    mine = [written[0], written[4]]
    for task_id in mine:
        engine.claim_task(ClaimTask(task_id, USER))
    taken = written[6]  # claimed by someone else: not in this user's inbox at all
    engine.claim_task(ClaimTask(taken, "kabid_lain"))
    with app.extensions["sopflow"].db.unit_of_work() as session:
        token = tokens.issue_token(session, USER)
    with engine.db.reading() as session:
        due = {r.id: r.due_at for r in session.query(HumanTask).filter(HumanTask.id.in_(tasks))}
    visible = [t for t in written if t != taken]
    return {
        "all": visible,
        "by_due": sorted(visible, key=lambda t: (due[t], t)),
        "mine": mine,
        "overdue": overdue,
        "due_soon": due_soon,
        "token": token,
        "due": due,
    }


def _page_ids(client, query: str) -> list[str]:
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    return _ROW.findall(response.get_data(as_text=True))


def _api_ids(client, token: str, query: str) -> list[str]:
    response = client.get(f"/api/v1/tasks?{query}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_json()
    return [t["task_id"] for t in response.get_json()["tasks"]]


def test_each_filter_on_the_page_and_in_the_api(world, login_as, client) -> None:
    login_as(USER, PASSWORD)
    expected = {
        "semua": world["by_due"],
        "milik_saya": [t for t in world["by_due"] if t in world["mine"]],
        "belum_diklaim": [t for t in world["by_due"] if t not in world["mine"]],
        "terlambat": [t for t in world["by_due"] if t in world["overdue"]],
        "jatuh_tempo": [t for t in world["by_due"] if t in world["due_soon"]],
    }
    assert len(expected["semua"]) == 9 and len(expected["terlambat"]) == 2 and len(expected["jatuh_tempo"]) == 2
    for name, ids in expected.items():
        assert _page_ids(client, f"saring={name}") == ids, name
        assert _api_ids(client, world["token"], f"filter={name}") == ids, name
    # the chosen filter is marked and kept in the URL of the sort form and the other links
    page = client.get("/?saring=terlambat&urut=step").get_data(as_text=True)
    assert 'data-testid="filter-terlambat"\n     class="tab active" aria-current="page"' in page
    assert '<input type="hidden" name="saring" value="terlambat">' in page
    assert 'href="/?saring=milik_saya&amp;urut=step"' in page
    # an unknown filter is "semua"; the API refuses it
    assert _page_ids(client, "saring=apa") == expected["semua"]
    refused = client.get("/api/v1/tasks?filter=apa", headers={"Authorization": f"Bearer {world['token']}"})
    assert refused.status_code == 400 and "filter" in refused.get_json()["error"]["fields"]


def test_filters_combine_with_step_and_periode(world, login_as, client) -> None:
    login_as(USER, PASSWORD)
    with_periode = _page_ids(client, "saring=belum_diklaim&periode=2026-TW4")
    assert with_periode and set(with_periode) < set(world["all"]) and not set(with_periode) & set(world["mine"])
    assert _api_ids(client, world["token"], "filter=belum_diklaim&periode=2026-TW4") == with_periode
    assert _page_ids(client, "saring=semua&langkah=1") == []


def test_sort_orders_follow_the_database_order_by(world, login_as, client, engine) -> None:
    login_as(USER, PASSWORD)
    assert _page_ids(client, "") == world["by_due"]
    assert world["by_due"] != world["all"]  # the written order differs: removing ORDER BY fails this test
    with engine.db.reading() as session:
        rows = {r.id: r for r in session.query(HumanTask).filter(HumanTask.id.in_(world["all"]))}
    by_periode = sorted(world["all"], key=lambda t: (rows[t].periode, t))
    by_periode = sorted(by_periode, key=lambda t: rows[t].periode, reverse=True)
    got = _page_ids(client, "urut=periode")
    assert [rows[t].periode for t in got] == [rows[t].periode for t in by_periode]
    assert _api_ids(client, world["token"], "order=periode") == got
    assert _api_ids(client, world["token"], "order=due") == world["by_due"]


def test_pages_split_the_sorted_list_without_gaps(world, login_as, client, app) -> None:
    app.config["SOPFLOW_INBOX_PAGE_SIZE"] = 4
    login_as(USER, PASSWORD)
    first = client.get("/").get_data(as_text=True)
    assert _ROW.findall(first) == world["by_due"][:4]
    assert 'href="/?halaman=2" rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/?halaman=2").get_data(as_text=True)
    assert _ROW.findall(second) == world["by_due"][4:8]
    assert 'href="/" rel="prev"' in second and 'href="/?halaman=3" rel="next"' in second
    third = client.get("/?halaman=3").get_data(as_text=True)
    assert _ROW.findall(third) == world["by_due"][8:] and 'rel="next"' not in third
    # filter and page together: the page link keeps the filter
    filtered = client.get("/?saring=belum_diklaim").get_data(as_text=True)
    assert 'href="/?saring=belum_diklaim&amp;halaman=2"' in filtered
    # the API pages with limit/offset: removing LIMIT returns all nine here
    token = world["token"]
    assert _api_ids(client, token, "limit=4") == world["by_due"][:4]
    assert _api_ids(client, token, "limit=4&offset=4") == world["by_due"][4:8]
    assert _api_ids(client, token, "limit=4&offset=8") == world["by_due"][8:]
    body = client.get("/api/v1/tasks?limit=4&offset=4", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert (body["limit"], body["offset"]) == (4, 4)
    bad = client.get("/api/v1/tasks?offset=-1", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400 and "offset" in bad.get_json()["error"]["fields"]
