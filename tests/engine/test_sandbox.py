"""Diagram expressions run in a sandbox: escapes are refused with a clear error and have no effect."""

from __future__ import annotations

from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from sopflow import CompleteUserTask, ExpressionRejected, InvalidProcess
from sopflow.engine.sandbox import SandboxEnvironment
from sopflow.engine.script_engine import SopflowScriptEngine
from sopflow.plugins import HandlerContext
from sopflow.process.spec_loader import build_definition

MINI = Path(__file__).parent / "data" / "mini.bpmn"
ESCAPES = [
    "__import__('os').system('touch {marker}')",
    "().__class__.__bases__[0].__subclasses__()",
    "[c for c in ().__class__.__base__.__subclasses__()]",
    "getattr(keputusan, '__class__')",
    "'{{0.__class__}}'.format(keputusan)",
    "open('{marker}', 'w')",
    "exec('import os')",
    "(lambda: 1)()",
]


@pytest.mark.parametrize("expression", ESCAPES)
def test_escape_is_refused_at_run_time_without_effect(expression, tmp_path):
    marker = tmp_path / "pwned"
    env = SandboxEnvironment()
    with pytest.raises((ExpressionRejected, NameError, NotImplementedError)):
        env.evaluate(expression.format(marker=marker), {"keputusan": "setuju"})
    assert not marker.exists()


def test_ordinary_expressions_and_scripts_work():
    env = SandboxEnvironment()
    assert env.evaluate("keputusan == 'setuju' and len(daftar) == 2", {"keputusan": "setuju", "daftar": [1, 2]})
    assert env.evaluate("sum(x['n'] for x in daftar)", {"daftar": [{"n": 2}, {"n": 3}]}) == 5
    data = {"putaran": 1, "daftar": []}
    env.execute("putaran += 1\ndaftar.append('a')\nbaru = {'k': putaran}", data)
    assert data == {"putaran": 2, "daftar": ["a"], "baru": {"k": 2}}


def test_unbounded_loops_are_refused():
    env = SandboxEnvironment()
    with pytest.raises(ExpressionRejected, match="while"):
        env.execute("while True:\n    pass", {})
    with pytest.raises(ExpressionRejected, match="perulangan melebihi"):
        nested = "total = 0\nfor a in daftar:\n    for b in daftar:\n        total += 1"
        env.execute(nested, {"daftar": list(range(1100))})


def _with_condition(condition: str) -> str:
    return MINI.read_text(encoding="utf-8").replace("keputusan == 'setuju'", condition)


@pytest.mark.parametrize("expression", ESCAPES[:5])
def test_validation_rejects_a_diagram_with_an_escape(expression, tmp_path):
    bpmn = _with_condition(expression.format(marker=tmp_path / "x").replace("'", "&apos;"))
    with pytest.raises(InvalidProcess) as err:
        build_definition(bpmn, _mini_forms(), filename="jahat.bpmn")
    problem = [p for p in err.value.problems if p["element"] == "gw"]
    assert problem and "ditolak oleh sandbox" in problem[0]["message"]


def test_engine_refuses_escape_even_if_a_diagram_skipped_validation(tmp_path):
    """Parse with plain SpiffWorkflow (no sopflow validation) and run under our engine."""
    marker = tmp_path / "pwned"
    bpmn = _with_condition(f"__import__(&apos;os&apos;).system(&apos;touch {marker}&apos;) == 0")
    parser = SpiffBpmnParser(validator=BpmnValidator())
    parser.add_bpmn_str(bpmn.encode(), "jahat.bpmn")
    wf = BpmnWorkflow(parser.get_spec("mini"))
    wf.script_engine = SopflowScriptEngine(
        context_for=lambda task: HandlerContext(files=None, templates_dir=tmp_path)  # type: ignore[arg-type]
    )
    gateway_spec = wf.spec.task_specs["gw"]
    task = wf.task_tree
    task.data.update({"keputusan": "setuju"})
    with pytest.raises(Exception) as err:
        gateway_spec.cond_task_specs[0][0]._matches(task)
    assert "__import__" in str(err.value) or isinstance(err.value.__cause__, ExpressionRejected)
    assert not marker.exists()


def test_rejected_expression_rolls_back_the_service_job(engine, start, monkeypatch):
    outcome = start()
    task = outcome.open_tasks[0]
    monkeypatch.setattr(SandboxEnvironment, "evaluate", _refuse)
    # the completion commits; the service step's job is refused and changes nothing
    outcome = engine.complete_user_task(CompleteUserTask(task["task_id"], "ani", {"angka": 2}))
    assert outcome.status == "berjalan" and outcome.open_tasks == []
    [job] = outcome.jobs
    assert job["status"] == "failed" and "Ekspresi ditolak oleh sandbox" in job["last_error"]
    monkeypatch.undo()
    engine.retry_job(job["job_id"], "ani")  # "Coba lagi" after the cause is fixed
    outcome = engine.case_outcome(outcome.case_id)
    assert outcome.jobs == [] and sorted(t["unit"] for t in outcome.open_tasks) == ["U1", "U2"]


def _refuse(self, expression, context, external_context=None):
    raise ExpressionRejected(f"Ekspresi ditolak oleh sandbox: uji ({expression})")


def _mini_forms() -> dict:
    import json

    forms = MINI.parent / "forms"
    return {f"forms/{p.name}": json.loads(p.read_text()) for p in forms.glob("*.json")}
