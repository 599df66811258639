"""The inbox query sorts in the database and pages there: ORDER BY and LIMIT/OFFSET are both load-bearing.

Cases are started in ascending periode, so the rows' natural (insertion) order is the opposite
of the ``periode`` sort: a query without its ORDER BY returns them in the wrong order, one
without its LIMIT returns every task in each page.
"""

from __future__ import annotations

from sopflow import Engine
from sopflow.queries.inbox import tasks_for_user

PERIODES = ["2026-TW1", "2026-TW2", "2026-TW3", "2026-TW4", "2027-TW1"]


def _start_all(start) -> None:
    for periode in PERIODES:  # ascending: the opposite of the inbox's periode order
        start(periode=periode)


def test_the_periode_order_is_newest_first_whatever_the_insertion_order(engine: Engine, start) -> None:
    _start_all(start)
    with engine.db.reading() as session:
        tasks = tasks_for_user(session, "ani", order="periode")
    periodes = [t.periode for t in tasks]
    assert len(tasks) == len(PERIODES)  # ani's first step of every case
    assert periodes == sorted(periodes, reverse=True)
    assert periodes[0] == "2027-TW1" and periodes[-1] == "2026-TW1"


def test_pages_hold_at_most_limit_tasks_and_together_the_whole_sorted_list(engine: Engine, start) -> None:
    _start_all(start)
    with engine.db.reading() as session:
        everything = [t.task_id for t in tasks_for_user(session, "ani", order="periode")]
        pages = [
            [t.task_id for t in tasks_for_user(session, "ani", order="periode", limit=2, offset=offset)]
            for offset in range(0, len(everything), 2)
        ]
        past_the_end = tasks_for_user(session, "ani", order="periode", limit=2, offset=len(everything))
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [task_id for page in pages for task_id in page] == everything  # no task repeated or skipped
    assert past_the_end == []
