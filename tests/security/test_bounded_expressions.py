"""Every evaluation of a diagram expression is bounded: time, memory and result size.

The hostile expressions of issue 11 froze the server for minutes (``10**10**10``,
``math.factorial(10**8)``) or allocated gigabytes (``'a' * (2 * 10**9)``). Run-time
checks run in a subprocess with a generous timeout and an address-space limit, so a
regression ends the test instead of hanging or swapping the machine.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from sopflow import CompleteUserTask, ExpressionRejected, InvalidProcess, StartInstance
from sopflow.engine.sandbox import SandboxEnvironment
from sopflow.persistence.models import AuditEvent
from sopflow.plugins import register
from sopflow.process.spec_loader import build_definition

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "engine" / "data" / "mini.bpmn"
TIMEOUT = 60
HOSTILE = [
    ("x ** x ** x", {"x": 10}),
    ("math.factorial(n)", {"n": 10**8}),
    ("'a' * n", {"n": 2 * 10**9}),
    ("pow(x, n)", {"x": 10, "n": 10**10}),
    ("1 << n", {"n": 10**10}),
    ("pola % n", {"pola": "%0999999999d", "n": 1}),
    ("s.center(n)", {"s": "a", "n": 10**9}),
    ("s.replace('', s)", {"s": "a" * 100_000}),
    ("sum([daftar] * 5000, [])", {"daftar": list(range(1000))}),
    ("[s + str(i) for i in range(999)]", {"s": "a" * 900_000}),
]


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))


def _evaluate_isolated(expression: str, data: dict, script: bool = False) -> str:
    """Evaluate in a fresh interpreter (3 GB address space, 60 s); return its one-line report."""
    program = textwrap.dedent(
        f"""
        import json, sys
        from sopflow.errors import ExpressionRejected
        from sopflow.engine.sandbox import SandboxEnvironment
        data = json.loads(sys.stdin.read())
        env = SandboxEnvironment()
        try:
            if {script!r}:
                env.execute({expression!r}, data)
            else:
                env.evaluate({expression!r}, data)
            print("SELESAI")
        except ExpressionRejected as exc:
            print("DITOLAK:", exc.message)
        except MemoryError:
            print("MEMORYERROR")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        input=json.dumps(data),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=_limit_memory,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(("expression", "data"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_expression_is_refused_with_a_clear_message(expression, data):
    report = _evaluate_isolated(expression, data)
    assert report.startswith("DITOLAK: Ekspresi dihentikan:"), report
    assert "melebihi batas" in report


def test_hostile_script_is_refused():
    report = _evaluate_isolated(
        "total = 0\nfor i in daftar:\n    total = total + x ** x ** x", {"daftar": [1], "x": 9}, script=True
    )
    assert report.startswith("DITOLAK: Ekspresi dihentikan: hasil perpangkatan melebihi batas"), report


def test_growing_a_list_by_doubling_is_refused():
    script = "for i in range(40):\n    daftar.extend(daftar)"
    report = _evaluate_isolated(script, {"daftar": [1, 2, 3]}, script=True)
    assert report.startswith("DITOLAK: Ekspresi dihentikan:"), report


def test_result_size_is_bounded():
    env = SandboxEnvironment()
    with pytest.raises(ExpressionRejected, match="ukuran hasil melebihi batas"):
        env.evaluate("[s, s, s]", {"s": "a" * 900_000})


def test_ordinary_arithmetic_is_unchanged():
    env = SandboxEnvironment()
    data = {"angka": 12, "teks": "ab", "daftar": [1, 2]}
    assert env.evaluate("angka ** 2 + 2 ** 64", data) == 144 + 2**64
    assert env.evaluate("teks * 3 + '%05d' % angka + f'{angka:>4}'", data) == "ababab00012  12"
    assert env.evaluate("math.factorial(10) + math.comb(10, 3) + sum(daftar * 2)", data) == 3628800 + 120 + 6
    assert env.evaluate("'-'.join(['a', teks]).center(8, '*')", data) == "**a-ab**"


@pytest.mark.parametrize(
    "condition",
    ["10**10**10 == 1", "math.factorial(10**8) &gt; 0", "len(&apos;a&apos; * (2 * 10**9)) &gt; 0"],
)
def test_validate_refuses_constant_expressions_past_the_limits(condition):
    bpmn = MINI.read_text(encoding="utf-8").replace("keputusan == 'setuju'", condition)
    forms = {f"forms/{p.name}": json.loads(p.read_text()) for p in (MINI.parent / "forms").glob("*.json")}
    with pytest.raises(InvalidProcess) as err:
        build_definition(bpmn, forms, filename="berat.bpmn")
    [problem] = [p for p in err.value.problems if p["element"] == "gw"]
    assert "ditolak oleh sandbox" in problem["message"] and "melebihi batas" in problem["message"]


@register("uji_batas_gandakan")
def _double(params: dict, ctx) -> dict:
    """Test handler of this module: double whatever it is given."""
    return {"nilai": params["angka"] * 2}


@pytest.fixture
def heavy_process(engine, make_user, tmp_path: Path) -> None:
    """The mini process whose service parameter repeats a text ``angka`` times (valid until run)."""
    shutil.copytree(MINI.parent / "forms", tmp_path / "forms")
    form = tmp_path / "forms" / "isi_angka.schema.json"
    schema = json.loads(form.read_text())
    schema.pop("x-sopflow-validate")
    form.write_text(json.dumps(schema))
    bpmn = MINI.read_text(encoding="utf-8").replace('id="uji_gandakan"', 'id="uji_batas_gandakan"')
    bpmn = bpmn.replace('<spiffworkflow:parameter id="angka" type="int" value="angka"/>', "")
    bpmn = bpmn.replace(
        "<spiffworkflow:parameters>",
        '<spiffworkflow:parameters><spiffworkflow:parameter id="angka" type="str" value="&apos;x&apos; * angka"/>',
        1,
    )
    path = tmp_path / "mini.bpmn"
    path.write_text(bpmn, encoding="utf-8")
    engine.publish_process(path, "ani")
    make_user("ani", lanes=["Pengusul"], roles=("aktor", "pemilik_proses"))
    make_user("budi", lanes=["Pemeriksa"], units=["U1", "U2"])


def test_expression_past_a_limit_fails_the_job_and_changes_nothing(engine, database, heavy_process):
    outcome = engine.start_instance(StartInstance("mini", "ani", "2026-TW1", {"daftar_unit": [{"unit": "U1"}]}))
    task = outcome.open_tasks[0]
    outcome = engine.complete_user_task(CompleteUserTask(task["task_id"], "ani", {"angka": 3_000_000}))
    assert outcome.status == "berjalan" and outcome.open_tasks == []
    [job] = outcome.jobs
    assert job["status"] == "failed"
    assert "Ekspresi dihentikan: hasil pengulangan melebihi batas 1.000.000" in job["last_error"]
    with database.reading() as session:
        kinds = session.scalars(select(AuditEvent.kind).where(AuditEvent.case_id == outcome.case_id)).all()
    assert "service_run" not in kinds and "service_failed" not in kinds
