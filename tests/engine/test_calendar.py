"""Due dates count Indonesian working days: weekends, national holidays and cuti bersama are skipped."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sopflow import Engine, StartInstance
from sopflow.calendar.working_days import WorkingCalendar, load_calendar
from sopflow.settings import PROJECT_ROOT

WITA = ZoneInfo("Asia/Makassar")


def test_weekends_and_national_holidays_are_skipped():
    cal = WorkingCalendar()
    assert not cal.is_working_day(date(2026, 8, 17))  # Hari Kemerdekaan (Monday)
    assert not cal.is_working_day(date(2026, 8, 15))  # Saturday
    start = datetime(2026, 8, 14, 10, 0, tzinfo=WITA)  # Friday
    assert cal.add_working_days(start, 1).date() == date(2026, 8, 18)
    assert cal.add_working_days(start, 2).date() == date(2026, 8, 19)


def test_cuti_bersama_is_skipped_and_units_are_respected():
    cal = WorkingCalendar([date(2026, 8, 18)])
    start = datetime(2026, 8, 14, 10, 0, tzinfo=WITA)
    assert cal.due_date(start, 1, "hari kerja").date() == date(2026, 8, 19)
    assert cal.due_date(start, 3, "hari").date() == date(2026, 8, 17)
    assert cal.due_date(start, 3, "jam") == datetime(2026, 8, 14, 13, 0, tzinfo=WITA)
    assert cal.due_date(start, 0.5, "hari kerja").date() == date(2026, 8, 19)  # part of a day counts as a day


def test_shipped_calendar_file_loads():
    cal = load_calendar(str(PROJECT_ROOT / "processes" / "kalender.json"))
    assert isinstance(cal, WorkingCalendar)


def test_task_due_date_follows_the_sop_waktu(database, settings, mini, make_user):
    clock = lambda: datetime(2026, 8, 14, 2, 0)  # noqa: E731 - 10:00 WITA on a Friday, naive UTC
    engine = Engine(database, settings, clock=clock)
    outcome = engine.start_instance(StartInstance("mini", "ani", "2026-TW3", {"daftar_unit": [{"unit": "U1"}]}))
    task = outcome.open_tasks[0]  # isi_angka: sop.waktu 2 hari kerja
    due_local = task["due_at"].replace(tzinfo=ZoneInfo("UTC")).astimezone(WITA)
    assert due_local.date() == date(2026, 8, 19)
    assert (due_local.hour, due_local.minute) == (23, 59)
