"""``sopflow new-sop NAME``: write a new SOP as its own installable package.

The package holds one diagram (two actors, a form each, one automatic step), its forms,
one handler and one test that runs a case from Mula to Selesai through the engine. It
declares the diagram in the ``sopflow.processes`` entry points and the handler in
``sopflow.handlers``, so after ``pip install`` sopflow finds both without any change to
sopflow itself. The office then replaces the example steps with its own SOP.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sopflow.errors import InvalidForm

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{2,40}$")


def new_sop(name: str, target: Path) -> Path:
    """Write the package of SOP ``name`` into ``target/<name>``; return that folder.

    Raises InvalidForm for a name that is not a lowercase identifier or a folder that exists.
    """
    if not NAME_PATTERN.match(name):
        message = "Nama SOP: huruf kecil, angka dan garis bawah, diawali huruf (3-41 karakter), mis. cuti_pegawai."
        raise InvalidForm(message, [{"field": "name", "message": message}])
    root = target / name
    if root.exists():
        message = f"Folder {root} sudah ada; pilih nama atau folder lain."
        raise InvalidForm(message, [{"field": "name", "message": message}])
    package = f"sop_{name}"
    files = {
        "pyproject.toml": _pyproject(name, package),
        "README.md": _readme(name, package),
        f"{package}/__init__.py": f'"""SOP {name}: a diagram and its handlers for sopflow."""\n',
        f"{package}/handlers.py": _handlers(name),
        f"{package}/processes/__init__.py": '"""The SOP\'s diagram, forms and configuration (data)."""\n',
        f"{package}/processes/{name}.bpmn": _bpmn(name),
        f"{package}/processes/forms/{name}_ajukan.schema.json": _json(_FORM_AJUKAN),
        f"{package}/processes/forms/{name}_putuskan.schema.json": _json(_FORM_PUTUSKAN),
        f"tests/test_{name}.py": _test(name, package),
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


_FORM_AJUKAN = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "Ajukan permohonan",
    "properties": {
        "judul": {"type": "string", "title": "Judul permohonan", "minLength": 3, "maxLength": 200},
        "jumlah": {"type": "integer", "title": "Jumlah", "minimum": 1},
    },
    "required": ["judul", "jumlah"],
    "additionalProperties": False,
}
_FORM_PUTUSKAN = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "Putuskan permohonan",
    "properties": {
        "keputusan": {"type": "string", "title": "Keputusan", "enum": ["setujui", "tolak"]},
        "catatan": {"type": "string", "title": "Catatan", "maxLength": 2000},
    },
    "required": ["keputusan"],
    "additionalProperties": False,
}


def _pyproject(name: str, package: str) -> str:
    return f'''[build-system]
requires = ["setuptools>=69", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "sopflow-sop-{name.replace("_", "-")}"
version = "0.1.0"
description = "SOP {name} untuk sopflow: diagram BPMN, formulir dan handler."
requires-python = ">=3.11"
dependencies = ["sopflow"]

# sopflow finds the diagram and the handler through these entry points.
[project.entry-points."sopflow.processes"]
{name} = "{package}.processes"

[project.entry-points."sopflow.handlers"]
{name}_ringkas = "{package}.handlers:ringkas"

[tool.setuptools.packages.find]
include = ["{package}*"]

[tool.setuptools.package-data]
"{package}.processes" = ["*.bpmn", "*.config.json", "forms/*.json"]
'''


def _readme(name: str, package: str) -> str:
    return f"""# SOP {name}

A new SOP for sopflow, written by `sopflow new-sop {name}`: an example to replace with the
office's own procedure.

- `{package}/processes/{name}.bpmn`: the diagram (lanes = actors; `sop.*` properties are the
  SOP document's identity and Mutu Baku); edit it in the sopflow editor or any BPMN modeller.
- `{package}/processes/forms/`: one JSON schema per user task.
- `{package}/handlers.py`: the automatic step `{name}_ringkas`.
- `tests/test_{name}.py`: one case from Mula to Selesai through the engine.

```sh
pip install -e .                  # next to sopflow, in the same environment
sopflow validate {name}           # found through the entry points
sopflow process publish {name}
pytest tests
```
"""


def _handlers(name: str) -> str:
    return f'''"""Handlers of SOP {name}: pure functions (params, ctx) -> dict, see sopflow.plugins in sopflow."""

from __future__ import annotations

from typing import Any

from sopflow.plugins import HandlerContext, HandlerError, register


@register("{name}_ringkas")
def ringkas(params: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Summarise the request for the approver (the automatic step between the two actors)."""
    judul = str(params.get("judul") or "").strip()
    jumlah = params.get("jumlah")
    if not judul or not isinstance(jumlah, int) or jumlah < 1:
        raise HandlerError("Permohonan belum lengkap: judul dan jumlah wajib diisi.")
    return {{"ringkasan": f"{{judul}} ({{jumlah}} unit)", "dibuat": ctx.now.isoformat()}}
'''


def _bpmn(name: str) -> str:
    def props(**values: str) -> str:
        return "".join(
            f'\n          <spiffworkflow:property name="{key.replace("__", ".")}" value="{value}"/>'
            for key, value in values.items()
        )

    def step(number: int, needs: str, days: str, output: str) -> str:
        return props(sop__step=str(number), sop__persyaratan=needs, sop__waktu=days, sop__output=output)

    return f'''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="defs_{name}" targetNamespace="http://sopflow.local/{name}">
  <bpmn:process id="{name}" name="SOP {name.replace("_", " ").title()}" isExecutable="true">
    <bpmn:extensionElements>
      <spiffworkflow:properties>{
        props(
            sop__nomor="000/SOP/CONTOH/2026",
            sop__judul=f"SOP {name.replace('_', ' ').title()} (contoh)",
            sop__dasar_hukum__1="Peraturan Menteri PANRB Nomor 35 Tahun 2012",
            sop__kualifikasi__1="Memahami tugas dan fungsi unit",
            sop__peralatan__1="Komputer dan jaringan",
            sop__peringatan__1="Permohonan yang tidak lengkap dikembalikan",
            sop__pencatatan__1="Catatan riwayat kasus di sopflow",
        )
    }
      </spiffworkflow:properties>
    </bpmn:extensionElements>
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_pemohon" name="Pemohon">
        <bpmn:flowNodeRef>mula</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>ajukan</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>ringkas</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="lane_penyetuju" name="Penyetuju">
        <bpmn:flowNodeRef>putuskan</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>selesai</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="mula" name="Mula"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="ajukan" name="Mengajukan permohonan">
      <bpmn:extensionElements>
        <spiffworkflow:formJsonSchemaFilename>forms/{name}_ajukan.schema.json</spiffworkflow:formJsonSchemaFilename>
        <spiffworkflow:properties>{step(1, "Data permohonan", "1", "Permohonan")}
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:serviceTask id="ringkas" name="Meringkas permohonan">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="{name}_ringkas" resultVariable="ringkasan">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="judul" type="str" value="judul"/>
            <spiffworkflow:parameter id="jumlah" type="int" value="jumlah"/>
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
        <spiffworkflow:properties>{step(2, "Permohonan", "0", "Ringkasan")}
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:userTask id="putuskan" name="Memutuskan permohonan">
      <bpmn:extensionElements>
        <spiffworkflow:formJsonSchemaFilename>forms/{name}_putuskan.schema.json</spiffworkflow:formJsonSchemaFilename>
        <spiffworkflow:properties>{step(3, "Ringkasan", "2", "Keputusan")}
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="selesai" name="Selesai"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="mula" targetRef="ajukan"/>
    <bpmn:sequenceFlow id="f2" sourceRef="ajukan" targetRef="ringkas"/>
    <bpmn:sequenceFlow id="f3" sourceRef="ringkas" targetRef="putuskan"/>
    <bpmn:sequenceFlow id="f4" sourceRef="putuskan" targetRef="selesai"/>
  </bpmn:process>
</bpmn:definitions>
'''


def _test(name: str, package: str) -> str:
    return f'''"""SOP {name}: one case from Mula to Selesai through the sopflow engine (throw-away SQLite database)."""

from __future__ import annotations

from pathlib import Path

from sopflow import ClaimTask, CompleteUserTask, Database, Engine, Settings, StartInstance
from sopflow.access.users import add_user

import {package}.processes

BPMN = Path({package}.processes.__file__).parent / "{name}.bpmn"


def test_a_case_runs_from_mula_to_selesai(tmp_path):
    db = Database(f"sqlite:///{{tmp_path / 'sop.sqlite3'}}")
    db.upgrade()
    engine = Engine(db, Settings(database_url=db.url, data_dir=tmp_path / "data"))
    with db.unit_of_work() as session:
        add_user(session, "pemohon", "kata-sandi-uji", lanes=["Pemohon"], roles=["aktor", "pemilik_proses"])
        add_user(session, "penyetuju", "kata-sandi-uji", lanes=["Penyetuju"])
    engine.publish_process(BPMN, "pemohon", "versi uji")
    outcome = engine.start_instance(StartInstance("{name}", "pemohon", "2026-TW1", {{}}))
    steps = (("pemohon", {{"judul": "Laptop baru", "jumlah": 2}}), ("penyetuju", {{"keputusan": "setujui"}}))
    for actor, data in steps:
        task = outcome.open_tasks[0]["task_id"]
        engine.claim_task(ClaimTask(task, actor))
        outcome = engine.complete_user_task(CompleteUserTask(task, actor, data))
    assert outcome.status == "selesai", outcome.failure
'''
