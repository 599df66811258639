"""Each case records the library versions it ran with; replay says when it runs on others."""

from __future__ import annotations

from importlib import metadata

from sopflow.audit.replay import ReplayReport, replay_case
from sopflow.engine.runtime_versions import REPLAY_DISTRIBUTIONS, current_versions, differences
from sopflow.queries.inbox import timeline_for_case


def test_a_case_records_the_versions_it_started_with(engine, start):
    outcome = start()
    with engine.db.reading() as session:
        started = timeline_for_case(session, outcome.case_id)[0]
        report = replay_case(session, engine.services.files, engine.settings.templates_dir, outcome.case_id)
    runtime = started["data"]["runtime"]
    assert set(runtime) == set(REPLAY_DISTRIBUTIONS)
    assert runtime["SpiffWorkflow"] == metadata.version("SpiffWorkflow")
    assert report.matches and report.version_warnings == []
    assert "Peringatan" not in report.summary()


def test_other_versions_are_named_next_to_the_verdict():
    recorded = dict(current_versions(), holidays="0.1")
    lines = differences(recorded)
    assert lines == [f"holidays {metadata.version('holidays')} (kasus berjalan dengan 0.1)"]
    report = ReplayReport(commands=3, version_warnings=lines)
    assert report.summary().startswith("Replay cocok")
    assert "versi pustaka lain: holidays" in report.summary()
    assert differences(None) == []  # cases started before versions were recorded
