"""Ringkasan: who may see it, cases per step, overdue per lane, escalations, capaian per Bidang chart."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.webapp.conftest import play_steps


@pytest.mark.parametrize("username", ["sekretaris", "kadis", "admin", "inspektorat"])
def test_overview_is_open_to_leaders_owners_auditors(client, login_as, demo_case, username):
    login_as(username)
    response = client.get("/ringkasan")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-testid="nav-overview"' in page
    assert 'data-element-id="langkah01_format_isian"' in page
    assert 'data-testid="capaian-empty"' in page


@pytest.mark.parametrize("username", ["kabid_ikp", "kasubbag_perencanaan", "kasi_monev"])
def test_overview_is_forbidden_to_other_actors(client, login_as, demo_users, username):
    login_as(username)
    assert client.get("/ringkasan").status_code == 403
    assert 'data-testid="nav-overview"' not in client.get("/").get_data(as_text=True)


def test_overdue_and_escalations(app, client, login_as, demo_case, clock):
    clock.shift = timedelta(days=60)
    escalated = app.extensions["sopflow"].engine.escalate_overdue()
    assert [e["to"] for e in escalated] == ["Kepala Dinas"]
    login_as("kadis")
    page = client.get("/ringkasan").get_data(as_text=True)
    assert 'data-testid="overdue-lane" data-lane="Sekretaris"' in page
    assert f'data-testid="escalation-row" data-task-id="{demo_case["task_id"]}"' in page
    login_as("sekretaris")
    assert 'data-testid="escalation-row"' not in client.get("/ringkasan").get_data(as_text=True)


def test_capaian_chart_of_the_latest_analysis(client, login_as, demo_case):
    play_steps(demo_case["engine"], demo_case["case_id"], "langkah09_pembahasan")
    login_as("sekretaris")
    page = client.get("/ringkasan").get_data(as_text=True)
    assert 'data-testid="capaian-chart"' in page
    bars = re.findall(r'data-testid="capaian-bar" data-bidang="([^"]+)" data-value="([0-9.]+)"', page)
    assert [b for b, _ in bars] == [
        "Sekretariat",
        "Informasi dan Komunikasi Publik",
        "Aplikasi Informatika",
        "Statistik",
        "Persandian",
    ]
    assert all(0 < float(v) < 200 for _, v in bars)
    assert "<svg" in page and "Sangat Tinggi" in page
