"""Play a whole case from a demo script: every actor completes their steps with sample data.

A demo script (``samples/<process>/demo.json``) is data: the users to create, the start
data, and an ordered list of steps ``{element, actor, unit?, data, uploads?}``. Nothing
here knows a particular SOP.
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from sopflow.access.users import add_user
from sopflow.engine.boundary import Engine
from sopflow.engine.commands import CaseOutcome, ClaimTask, CompleteUserTask, StartInstance, Upload
from sopflow.errors import DeploymentError, InvalidForm, SopflowError
from sopflow.indonesian import local_time
from sopflow.persistence.models import User
from sopflow.queries import inbox
from sopflow.queries.cases import element_names, full_names
from sopflow.resources import require_file
from sopflow.signing import RegisterCertificate, SignTask
from sopflow.signing.test_ca import issue_pkcs12, make_ca

DEMO_PASSWORD = "sopflow-demo"


@dataclass
class DemoResult:
    """Where the demo left its case and exported documents."""

    case_id: str
    status: str
    exported: list[Path]


def load_script(path: Path) -> dict[str, Any]:
    """Read a demo script; the data and upload files it names are relative to its folder.

    Raises DeploymentError naming the script or a file it names that does not exist
    (the process file is checked by :func:`script_process_file` against the processes folder).
    """
    require_file(path, "skenario demo")
    try:
        script: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DeploymentError(f"Skenario demo {path} bukan JSON yang sah: {exc}") from None
    script["_base"] = path.parent
    named = [script["start"]["data_file"]]
    named += [file for step in script["steps"] for file in step.get("uploads", {}).values()]
    for name in named:
        require_file(path.parent / name, "yang disebut skenario demo")
    return script


def script_process_file(script: dict[str, Any], processes_dir: Path) -> Path:
    """Return the script's BPMN file inside ``processes_dir``.

    ``process_file`` is relative to the processes folder; a leading ``processes/`` (the
    repository layout) is accepted. Raises DeploymentError naming the missing file.
    """
    parts = Path(script["process_file"]).parts
    if parts and parts[0] == "processes":
        parts = parts[1:]
    return require_file(processes_dir.joinpath(*parts), "proses yang disebut skenario demo")


def ensure_users(engine: Engine, script: dict[str, Any]) -> None:
    """Create the script's users that do not exist yet (password :data:`DEMO_PASSWORD`)."""
    with engine.db.unit_of_work() as session:
        for spec in script.get("users", []):
            if session.scalar(select(User).where(User.username == spec["username"])) is None:
                add_user(
                    session,
                    spec["username"],
                    DEMO_PASSWORD,
                    lanes=spec.get("lanes", []),
                    units=spec.get("units", []),
                    roles=spec.get("roles", ["aktor"]),
                    full_name=spec.get("full_name", ""),
                    lead_lanes=spec.get("lead_lanes", []),
                    nip=spec.get("nip"),
                    position_title=spec.get("position_title"),
                )


def run_demo(engine: Engine, script: dict[str, Any], out_dir: Path, say: Callable[[str], None] = print) -> DemoResult:
    """Publish the process, start a case and play every step; export the documents to ``out_dir``."""
    base: Path = script["_base"]
    process_file = script_process_file(script, engine.settings.processes_dir)
    version = engine.publish_process(process_file, "sistem", "versi demo")
    say(f"Proses {version.name} ({version.process_id}) versi {version.version} (SHA-256 {version.sha256[:12]}…)")
    ensure_users(engine, script)
    start = script["start"]
    data = json.loads((base / start["data_file"]).read_text(encoding="utf-8"))
    data = {key: data[key] for key in start.get("data_keys", data.keys())}
    outcome = engine.start_instance(StartInstance(version.process_id, start["actor"], script["periode"], data))
    with engine.db.reading() as session:
        starter = full_names(session, {start["actor"]}).get(start["actor"], start["actor"])
    say(f"Kasus {outcome.case_id} dimulai untuk periode {script['periode']} oleh {starter}")
    seen = report_events(engine, outcome.case_id, 0, say, engine.settings.timezone)
    for step in script["steps"]:
        task = _find_task(outcome.open_tasks, step)
        actor = step["actor"]
        engine.claim_task(ClaimTask(task["task_id"], actor))
        uploads = {
            name: Upload(Path(file).name, (base / file).read_bytes()) for name, file in step.get("uploads", {}).items()
        }
        step_data = fill_texts(step.get("data", {}), _texts_for(script, script["periode"]))
        try:
            outcome = engine.complete_user_task(CompleteUserTask(task["task_id"], actor, step_data, uploads))
        except InvalidForm as exc:
            if not step.get("expect_rejected"):
                raise
            say(f"  ✗ ditolak (sesuai skenario): {exc.errors[0]['message']}")
            continue
        seen = report_events(engine, outcome.case_id, seen, say, engine.settings.timezone)
        deadline = time.monotonic() + 300
        while outcome.jobs:  # a worker runs the service steps: print them as they finish
            if any(j["status"] == "failed" for j in outcome.jobs) or time.monotonic() > deadline:
                _raise_stuck(outcome)
            time.sleep(0.2)
            seen = report_events(engine, outcome.case_id, seen, say, engine.settings.timezone)
            outcome = engine.case_outcome(outcome.case_id)
        if outcome.failure:
            raise SopflowError(f"Langkah {outcome.failure['element_id']} gagal: {outcome.failure['message']}")
    outcome = sign_open_tasks(engine, script, outcome, out_dir, say)
    report_events(engine, outcome.case_id, seen, say, engine.settings.timezone)
    exported = _export_documents(engine, outcome.case_id, out_dir)
    open_case = script.get("open_case")
    if open_case:
        _start_open_case(engine, script, data, open_case, say)
    return DemoResult(outcome.case_id, outcome.status, exported)


def sign_open_tasks(
    engine: Engine, script: dict[str, Any], outcome: CaseOutcome, out_dir: Path, say: Callable[[str], None]
) -> CaseOutcome:
    """Sign every open signing task with a test certificate ("SERTIFIKAT UJI") of a script user of its lane.

    A throw-away CA is created, its root written to ``out_dir/sertifikat-uji/ca-uji.pem``
    (for ``SIGNING_TRUST_ROOTS``), and a certificate issued, registered and used with a
    passphrase that lives only in this function. Without LibreOffice there is no PDF: the
    task is completed unsigned (on record) and the demo says so.
    """
    ca = None
    for _ in range(10):
        found = [(t, u) for t in outcome.open_tasks if (u := _lane_user(script, t))]
        signing = [(t, u, v) for t, u in found if (v := engine.signing_view(t["task_id"], u)) is not None]
        if not signing:
            return outcome
        task, actor, view = signing[0]
        engine.claim_task(ClaimTask(task["task_id"], actor))
        if view.get("pdf", {}).get("state") != "ada":
            outcome = engine.sign_task(SignTask(task["task_id"], actor, without_signature=True))
            say(f"  ✗ {task['element_id']}: dokumen TIDAK ditandatangani — {view.get('pdf', {}).get('message')}")
        else:
            now = engine.clock()
            ca = ca or make_ca(now)
            (out_dir / "sertifikat-uji").mkdir(parents=True, exist_ok=True)
            (out_dir / "sertifikat-uji" / "ca-uji.pem").write_bytes(ca.pem())
            passphrase = secrets.token_urlsafe(16)
            signer = view["signer"]
            p12 = issue_pkcs12(
                ca,
                signer["name"],
                passphrase,
                now - timedelta(days=1),
                now + timedelta(days=365),
                serial_number=signer["nip"] or None,
            )
            registered = engine.register_certificate(RegisterCertificate(actor, p12, passphrase))
            say(f"  🔏 sertifikat uji didaftarkan untuk {actor}: {registered['subject']}")
            outcome = engine.sign_task(SignTask(task["task_id"], actor, passphrase))
            say(f"  ✓ {task['element_id']}: PDF ditandatangani secara elektronik oleh {actor} (PAdES B-B)")
        outcome = _settled(engine, outcome)
    return outcome


def _lane_user(script: dict[str, Any], task: dict[str, Any]) -> str | None:
    """Return the first script user of the task's lane (and unit), if any."""
    for spec in script.get("users", []):
        if task["lane"] in spec.get("lanes", []) and (not task.get("unit") or task["unit"] in spec.get("units", [])):
            return str(spec["username"])
    return None


def _start_open_case(
    engine: Engine, script: dict[str, Any], data: dict[str, Any], spec: dict[str, Any], say: Callable[[str], None]
) -> None:
    """Start a second case and play its first steps, so the inbox has work waiting."""
    outcome = engine.start_instance(
        StartInstance(script["process_id"], script["start"]["actor"], spec["periode"], data)
    )
    texts = _texts_for(script, spec["periode"])
    for step in script["steps"][: spec.get("steps", 0)]:
        task = _find_task(outcome.open_tasks, step)
        data = fill_texts(step.get("data", {}), texts)
        outcome = _settled(engine, engine.complete_user_task(CompleteUserTask(task["task_id"], step["actor"], data)))
    waiting = sorted({t["element_id"] for t in outcome.open_tasks})
    with engine.db.reading() as session:
        names = element_names(session, outcome.case_id)
    waiting_names = ", ".join(names.get(element, element) for element in waiting)
    say(f"Kasus kedua {outcome.case_id} (periode {spec['periode']}) menunggu di: {waiting_names}")


def _settled(engine: Engine, outcome: CaseOutcome) -> CaseOutcome:
    """Wait for the service steps a completion queued (a worker runs them when a broker is set)."""
    if outcome.jobs and not engine.wait_for_jobs(outcome.case_id, timeout=300):
        _raise_stuck(engine.case_outcome(outcome.case_id))
    return engine.case_outcome(outcome.case_id) if outcome.jobs else outcome


def _raise_stuck(outcome: CaseOutcome) -> None:
    detail = "; ".join(f"{j['label']}: {j['last_error'] or '-'}" for j in outcome.jobs) or "-"
    raise SopflowError(f"Langkah otomatis kasus {outcome.case_id} tidak selesai ({detail}). Apakah worker berjalan?")


def _find_task(open_tasks: list[dict[str, Any]], step: dict[str, Any]) -> dict[str, Any]:
    for task in open_tasks:
        if task["element_id"] == step["element"] and (step.get("unit") in (None, task["unit"], task["label"])):
            return task
    listed = ", ".join(f"{t['element_id']}[{t['unit'] or t['label'] or '-'}]" for t in open_tasks) or "(tidak ada)"
    raise SopflowError(
        f"Skenario demo: tugas {step['element']} ({step.get('unit', '-')}) tidak siap; yang siap: {listed}"
    )


def report_events(engine: Engine, case_id: str, after: int, say: Callable[[str], None], tz: str) -> int:
    """Print the case's events after ``after`` for people: step names and full names, not identifiers."""
    with engine.db.reading() as session:
        events = [e for e in inbox.timeline_for_case(session, case_id) if e["seq"] > after]
        names = element_names(session, case_id)
        people = full_names(session, {e["actor"] for e in events} | {_trigger(e) for e in events})
    for event in events:
        data = event["data"]
        kind = event["kind"]
        element = names.get(event["element_id"] or "", event["element_id"] or "-")
        if kind == "task_completed":
            output = f" → {data['output']}" if data.get("output") else ""
            who = people.get(event["actor"], event["actor"])
            say(f"  ✓ langkah {data.get('step') or '-'} {element} oleh {who}{output}")
        elif kind == "engine_resumed":
            who = people.get(_trigger(event) or "", _trigger(event) or "-")
            say(f"  ⏵ langkah otomatis dijalankan Sistem (dipicu oleh {who})")
        elif kind == "service_run":
            output = f" → {data['output']}" if data.get("output") else ""
            step = data.get("step") or "-"
            say(f"  ⚙ langkah {step} {element} oleh Sistem ({_ms(data['duration_ms'])} ms){output}")
        elif kind == "document_stored":
            say(f"    ↳ dokumen {data['kind']}: {data['filename']} (SHA-256 {data['sha256'][:12]}…)")
        elif kind == "gateway_passed":
            say(f"  ◇ {element} → {', '.join(names.get(n, n) for n in data['next'])}")
        elif kind == "task_ready":
            due = _local(data.get("due_at"), tz)
            who = data.get("unit") or data.get("label")
            unit = f" [{who}]" if who else ""
            step = data.get("step") or "-"
            say(f"• Langkah {step} siap: {element}{unit} — pelaksana {data['lane']}, tenggat {due}")
        elif kind == "service_failed":
            say(f"  ✗ {element} gagal: {data['message']}")
        elif kind in ("upload_rejected", "form_refused"):
            say(f"  ✗ {element}: {data.get('pesan')} (oleh {people.get(event['actor'], event['actor'])})")
        elif kind == "case_completed":
            say("■ Kasus selesai (peristiwa akhir tercapai)")
    return events[-1]["seq"] if events else after


def _trigger(event: dict[str, Any]) -> str | None:
    data = event["data"] if isinstance(event["data"], dict) else {}
    return data.get("dipicu_oleh") or data.get("triggered_by")


def _ms(value: float) -> str:
    """Return milliseconds with Indonesian thousands separators (``1.250``)."""
    return f"{value:,.0f}".replace(",", ".")


def fill_texts(value: Any, values: dict[str, str]) -> Any:
    """Return ``value`` with ``{name}`` placeholders in its strings replaced from ``values`` (lists, dicts too).

    A demo script's step data is shared by every case it plays; texts that depend on the case
    (the quarter named in a disposition) say so with a placeholder the script defines per periode
    (``teks_periode``), so a TW4 case never repeats a TW3 text.
    """
    if isinstance(value, str):
        for name, text in values.items():
            value = value.replace("{" + name + "}", text)
        return value
    if isinstance(value, list):
        return [fill_texts(item, values) for item in value]
    if isinstance(value, dict):
        return {key: fill_texts(item, values) for key, item in value.items()}
    return value


def _texts_for(script: dict[str, Any], periode: str) -> dict[str, str]:
    """Return the placeholder values of a periode: ``periode`` plus the script's ``teks_periode[periode]``."""
    return {"periode": periode, **(script.get("teks_periode") or {}).get(periode, {})}


def _local(value: str | None, tz: str) -> str:
    return local_time(value or None, ZoneInfo(tz), "%d-%m-%Y %H:%M")


def _export_documents(engine: Engine, case_id: str, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    exported = []
    with engine.db.reading() as session:
        documents = inbox.documents_of_case(session, case_id)
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for doc in documents:
        latest[(doc["kind"], doc["filename"])] = doc
    for (kind, filename), doc in latest.items():
        target = out_dir / kind / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(engine.services.files.path_for(doc["sha256"]), target)
        exported.append(target)
    return sorted(exported)
