"""How deep a looping case grows, and the modelling that keeps it flat.

SpiffWorkflow appends every round of a gateway loop below the previous one, so the task
tree deepens by a few levels per round and the engine's depth guard (``MAX_TREE_DEPTH``,
below SpiffWorkflow's own iterator limit of 1000) ends such a case after ~148 rounds of the
mini loop. A loop-marked sub-process (``standardLoopCharacteristics``) runs each round as a
sibling instead: the depth stays what it was after the first round. Both are shown here with
the guard lowered, so a few rounds tell what ~150 would.
"""

from __future__ import annotations

import pytest

from sopflow import CompleteUserTask, Engine, StartInstance
from sopflow.engine import case_run as case_run_module
from sopflow.errors import SopflowError

from .conftest import DATA

LOOP_PROCESS = DATA / "mini_putaran.bpmn"
ROUND = (
    ("isi_angka", {"angka": 7}),
    ("periksa_unit", {"catatan": "sudah diperiksa"}),
    ("putuskan", {"keputusan": "ulang", "catatan_keputusan": "ulang lagi"}),
)
#: deeper than one round of either process, shallower than a few rounds of the gateway loop
GUARD = 24


def play_rounds(engine: Engine, outcome, actors: dict[str, str], rounds: int):
    """Complete ``rounds`` rounds of the loop (each ending in "ulang"); return the last outcome."""
    for _ in range(rounds):
        for element, data in ROUND:
            task = next(t for t in outcome.open_tasks if t["element_id"] == element)
            outcome = engine.complete_user_task(CompleteUserTask(task["task_id"], actors[element], data))
    return outcome


def test_a_gateway_loop_deepens_each_round_until_the_guard_refuses(engine: Engine, start, monkeypatch):
    outcome = start(units=("U1",))
    monkeypatch.setattr(case_run_module, "MAX_TREE_DEPTH", GUARD)
    actors = {"isi_angka": "ani", "periksa_unit": "budi", "putuskan": "budi"}
    with pytest.raises(SopflowError, match="terlalu panjang"):
        play_rounds(engine, outcome, actors, rounds=6)


def test_a_loop_marked_subprocess_keeps_the_depth_of_one_round(engine: Engine, make_user, monkeypatch):
    engine.publish_process(LOOP_PROCESS, "ani")
    make_user("ani", lanes=["Pengusul"], roles=("aktor", "pemilik_proses"))
    make_user("budi", lanes=["Pemeriksa"], units=["U1"])
    outcome = engine.start_instance(StartInstance("mini_putaran", "ani", "2026-TW1", {"daftar_unit": [{"unit": "U1"}]}))
    monkeypatch.setattr(case_run_module, "MAX_TREE_DEPTH", GUARD)
    actors = dict.fromkeys(("isi_angka", "periksa_unit", "putuskan"), "budi")  # the sub-process's lane
    outcome = play_rounds(engine, outcome, actors, rounds=6)
    assert outcome.status == "berjalan"
    assert [t["element_id"] for t in outcome.open_tasks] == ["isi_angka"]
    last = next(t for t in outcome.open_tasks if t["element_id"] == "isi_angka")
    outcome = engine.complete_user_task(CompleteUserTask(last["task_id"], "budi", {"angka": 8}))
    for element, data in (
        ("periksa_unit", {"catatan": "baik"}),
        ("putuskan", {"keputusan": "setuju", "catatan_keputusan": "sudah sesuai"}),
    ):
        task = next(t for t in outcome.open_tasks if t["element_id"] == element)
        outcome = engine.complete_user_task(CompleteUserTask(task["task_id"], "budi", data))
    assert outcome.status == "selesai"
