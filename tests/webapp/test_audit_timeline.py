"""The audit timeline of a case (/audit/kasus/<id>): 50 events a page, filters, jump to a date, permalinks.

The case is the demo quarter played through the engine (DEMO_EVENTS of tests/webapp/test_auditor.py, more
than one page);
pages are read over HTTP as the Inspektorat, and compared with the case's events from the evidence bundle.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient

from sopflow.audit import timeline as audit_timeline
from tests.webapp.test_auditor import cases, events_of, html  # noqa: F401 (cases is a fixture)

_ROW = re.compile(r'<tr id="event-(\d+)" class="([^"]*)" data-testid="audit-event" data-seq="\d+"\s+data-kind="(\w+)"')


def rows(page: str) -> list[int]:
    """The seq of every event row on a timeline page, in order."""
    return [int(m.group(1)) for m in _ROW.finditer(page)]


def local_day(settings: Any, at: str) -> str:
    moment = datetime.fromisoformat(at).replace(tzinfo=UTC).astimezone(ZoneInfo(settings.timezone))
    return moment.date().isoformat()


def timeline(client: FlaskClient, case_id: str, query: str = "") -> str:
    return html(client, f"/audit/kasus/{case_id}{query}")


def test_timeline_is_paged_50_events_a_page(client, login_as, cases, engine):  # noqa: F811
    case_id = cases["selesai"]
    seqs = [e["seq"] for e in events_of(engine, case_id)]
    assert audit_timeline.PAGE_SIZE == 50 < len(seqs) <= 100  # two pages
    login_as("inspektorat")
    first = timeline(client, case_id)
    assert rows(first) == seqs[:50]
    assert f'data-testid="event-count">({len(seqs)} peristiwa)' in first
    assert "halaman 1 dari 2, peristiwa #1–#50" in first
    assert f'href="/audit/kasus/{case_id}?halaman=2" data-testid="page-next"' in first
    second = timeline(client, case_id, "?halaman=2")
    assert rows(second) == seqs[50:]
    assert f"halaman 2 dari 2, peristiwa #51–#{seqs[-1]}" in second
    assert f'href="/audit/kasus/{case_id}?halaman=1" data-testid="page-prev"' in second
    assert f'href="/audit/kasus/{case_id}/pada/{seqs[0]}" data-testid="start-stepping"' in second  # not page 2's first
    # out of range or not a number: the nearest real page
    assert rows(timeline(client, case_id, "?halaman=99")) == seqs[50:]
    assert rows(timeline(client, case_id, "?halaman=abc")) == seqs[:50]
    assert rows(timeline(client, case_id, "?halaman=0")) == seqs[:50]
    # people by name; an automatic step by the system, with the person whose command ran it
    assert "Sekretaris Dinas (contoh)" in first
    assert 'data-testid="triggered-by">dipicu oleh Sekretaris Dinas (contoh)' in first


def test_filters_by_step_actor_kind_and_dates(client, login_as, cases, engine, settings):  # noqa: F811
    case_id = cases["selesai"]
    events = events_of(engine, case_id)
    login_as("inspektorat")

    step5 = timeline(client, case_id, "?langkah=5")
    expected = [e["seq"] for e in events if e["element_id"] == "langkah05_monitoring"]
    assert rows(step5) == expected and len(expected) > 5
    assert f'data-testid="event-count">({len(expected)} dari {len(events)} peristiwa)' in step5
    assert '<option value="5" selected>Langkah 5</option>' in step5
    # an automatic step: its service run and the documents it stored
    step7 = timeline(client, case_id, "?langkah=7")
    assert rows(step7) == [e["seq"] for e in events if e["element_id"] == "langkah07_draft_laporan"]
    assert {m.group(3) for m in _ROW.finditer(step7)} == {"service_run", "document_stored"}
    assert rows(timeline(client, case_id, "?langkah=99")) == []

    kadis = timeline(client, case_id, "?pelaku=kadis")
    assert rows(kadis) == [e["seq"] for e in events if e["actor"] == "kadis"]
    done_by_kadis = timeline(client, case_id, "?pelaku=kadis&jenis=task_completed")
    verified = [e["seq"] for e in events if e["actor"] == "kadis" and e["kind"] == "task_completed"]
    assert rows(done_by_kadis) == verified and len(verified) >= 2  # step 11 returned once, then approved
    claims = timeline(client, case_id, "?jenis=task_claimed")
    assert rows(claims) == [e["seq"] for e in events if e["kind"] == "task_claimed"]
    assert '<option value="task_claimed" selected>Diklaim</option>' in claims

    day = local_day(settings, events[0]["at"])
    following = (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
    same_day = [e["seq"] for e in events if local_day(settings, e["at"]) == day]
    assert rows(timeline(client, case_id, f"?dari={day}&sampai={day}&halaman=2")) == same_day[50:]
    later = timeline(client, case_id, f"?dari={following}")
    assert rows(later) == [] and 'data-testid="timeline-empty"' in later
    assert rows(timeline(client, case_id, f"?sampai={following}&jenis=case_completed")) == [events[-1]["seq"]]
    backwards = timeline(client, case_id, f"?dari={following}&sampai={day}")
    assert rows(backwards) == [] and "Tanggal akhir lebih awal dari tanggal mulai" in backwards
    # the dd/mm/yyyy form is read too; a date that is no date is named, not a 500
    d, m, y = day[8:], day[5:7], day[:4]
    assert rows(timeline(client, case_id, f"?dari={d}/{m}/{y}&jenis=case_started")) == [1]
    assert "Tanggal “31/02/2026” tidak dikenali." in timeline(client, case_id, "?dari=31/02/2026")

    # the pager keeps the filters
    many = timeline(client, case_id, f"?dari={day}")
    typed = f"{day[8:]}/{day[5:7]}/{day[:4]}"  # shown again the Indonesian way, hh/bb/tttt
    assert f'name="dari" value="{typed}"' in many
    assert f'href="/audit/kasus/{case_id}?halaman=2&amp;dari={typed}" data-testid="page-next"' in many


def test_permalink_opens_the_page_holding_the_event(client, login_as, cases, engine):  # noqa: F811
    case_id = cases["selesai"]
    events = events_of(engine, case_id)
    login_as("inspektorat")
    first = timeline(client, case_id)
    assert f'href="/audit/kasus/{case_id}?peristiwa=7#event-7"' in first
    assert first.count('data-testid="event-permalink"') == 50
    page = timeline(client, case_id, "?peristiwa=70")
    assert 70 in rows(page) and rows(page)[0] == 51
    target = next(m for m in _ROW.finditer(page) if m.group(1) == "70")
    assert "sasaran" in target.group(2)
    assert 70 in rows(timeline(client, case_id, "?peristiwa=70&halaman=1"))  # the permalink wins over the page
    assert rows(timeline(client, case_id, "?peristiwa=3"))[0] == 1
    # with a filter, the event's place among the matches
    kadis = [e["seq"] for e in events if e["actor"] == "kadis"]
    assert rows(timeline(client, case_id, f"?peristiwa={kadis[-1]}&pelaku=kadis")) == kadis
    # the moment page links back to its event on the timeline
    moment = html(client, f"/audit/kasus/{case_id}/pada/60")
    assert f'href="/audit/kasus/{case_id}?peristiwa=60#event-60" data-testid="moment-back"' in moment


def test_jump_to_a_date(client, login_as, cases, engine, settings):  # noqa: F811
    case_id = cases["selesai"]
    events = events_of(engine, case_id)
    login_as("inspektorat")
    day = local_day(settings, events[0]["at"])
    assert rows(timeline(client, case_id, f"?tanggal={day}"))[0] == 1
    after = (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
    assert rows(timeline(client, case_id, f"?tanggal={after}"))[-1] == events[-1]["seq"]  # nothing later: last page
    before = (datetime.fromisoformat(day) - timedelta(days=1)).date().isoformat()
    first_ready = next(e["seq"] for e in events if e["kind"] == "task_ready")
    assert rows(timeline(client, case_id, f"?tanggal={before}&jenis=task_ready"))[0] == first_ready
    assert "Tanggal tujuan tidak dikenali" in timeline(client, case_id, "?tanggal=kemarin")


def test_event_page_through_the_engine(engine, cases):  # noqa: F811
    """The paged query itself: counts, the page of a seq, filters combined, a step without elements."""
    case_id = cases["selesai"]
    total = len(events_of(engine, case_id))
    with engine.db.reading() as session:
        whole = audit_timeline.event_page(session, case_id, per_page=10)
        assert (whole["total"], whole["pages"], whole["page"]) == (total, -(-total // 10), 1)
        assert [e["seq"] for e in whole["events"]] == list(range(1, 11))
        assert audit_timeline.event_page(session, case_id, per_page=10, at_seq=total)["page"] == whole["pages"]
        assert audit_timeline.event_page(session, case_id, per_page=10, at_seq=11)["page"] == 2
        kinds = ("service_run", "document_stored")
        found = audit_timeline.event_page(session, case_id, audit_timeline.EventFilter(actor="sistem", kinds=kinds))
        assert found["total"] == len(found["events"]) > 0 and found["case_total"] == total
        assert {(e["actor"], e["kind"]) for e in found["events"]} <= {("sistem", kind) for kind in kinds}
        nothing = audit_timeline.event_page(session, case_id, audit_timeline.EventFilter(element_ids=()))
        assert (nothing["total"], nothing["pages"], nothing["events"]) == (0, 1, [])
        facets = audit_timeline.event_facets(session, case_id)
        assert facets["steps"][10] == ["langkah10_perbaikan", "langkah10_render_revisi"]
        assert "sistem" in facets["actors"] and "task_ready" in facets["kinds"]
        assert facets["first_at"] <= facets["last_at"]
