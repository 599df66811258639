"""Load and validate a process: safe XML, BPMN 2.0 XSD, SpiffWorkflow parsing, then sopflow's rules.

A :class:`ProcessDefinition` is everything the engine needs to run a process version:
the parsed spec, the process-level properties (which SpiffWorkflow 3.2 does not parse),
the form schemas and the sidecar configuration. It is built from text and dicts, so a
version stored in the database loads exactly like a file on disk.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from sopflow.engine.sandbox import compile_expression, compile_script
from sopflow.errors import ExpressionRejected, InvalidProcess
from sopflow.plugins import registry
from sopflow.process.task_rules import check_task_rules, form_filename, iter_bpmn_task_specs

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NSMAP = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
MAX_BPMN_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class ProcessDefinition:
    """A validated, runnable process version (immutable)."""

    process_id: str
    name: str
    bpmn_xml: str
    sha256: str
    spec: Any
    subprocess_specs: dict[str, Any]
    properties: dict[str, str]
    forms: dict[str, dict[str, Any]]
    config: dict[str, Any] = field(default_factory=dict)

    def start_form(self) -> dict[str, Any] | None:
        """Return the JSON Schema of the start data, if the process declares one."""
        name = self.properties.get("sopflow.start_form")
        return self.forms.get(name) if name else None

    def form_for(self, task_spec: Any) -> dict[str, Any] | None:
        """Return the JSON Schema of a user task's form, or None when it has none."""
        name = form_filename(task_spec)
        return self.forms.get(name) if name else None

    def carry_over(self) -> list[str]:
        """Return the variables copied from the previous completed case into ``sebelumnya``."""
        raw = self.properties.get("sopflow.carry_over", "")
        return [name.strip() for name in raw.split(",") if name.strip()]

    def gathered_processes(self) -> list[str]:
        """Return the processes whose completed cases of the new case's periode are handed to it.

        Property ``sopflow.kumpulkan`` (comma-separated process ids): a case of periode
        ``2026`` starts with ``kasus_terkait[<process>]`` = the completed cases of that
        process whose periode is ``2026`` or begins with ``2026-`` (e.g. ``2026-TW1`` ...).
        """
        raw = self.properties.get("sopflow.kumpulkan", "")
        return [name.strip() for name in raw.split(",") if name.strip()]


def parse_xml_safely(bpmn_xml: str | bytes, filename: str = "<bpmn>") -> etree._ElementTree:
    """Parse XML without DTDs, external entities, entity expansion or network access."""
    data = bpmn_xml.encode("utf-8") if isinstance(bpmn_xml, str) else bpmn_xml
    if len(data) > MAX_BPMN_BYTES:
        raise InvalidProcess(
            f"Berkas {filename} terlalu besar (maksimal {MAX_BPMN_BYTES // 1024 // 1024} MB).",
            [{"element": "", "message": "berkas terlalu besar"}],
        )
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise InvalidProcess(
            f"Berkas {filename} memuat DOCTYPE/ENTITY; ini tidak diizinkan pada berkas BPMN.",
            [{"element": "", "message": "DOCTYPE/ENTITY tidak diizinkan"}],
        )
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        tree = etree.ElementTree(etree.fromstring(data, parser=parser))
    except etree.XMLSyntaxError as exc:
        raise InvalidProcess(
            f"Berkas {filename} bukan XML yang sah: {exc}", [{"element": "", "message": str(exc)}]
        ) from None
    # lxml-stubs leave DocInfo.doctype out
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:  # type: ignore[attr-defined]
        raise InvalidProcess(
            f"Berkas {filename} memuat DOCTYPE/ENTITY; ini tidak diizinkan pada berkas BPMN.",
            [{"element": "", "message": "DOCTYPE/ENTITY tidak diizinkan"}],
        )
    return tree


def xpath_elements(tree: etree._ElementTree, path: str, **variables: Any) -> list[etree._Element]:
    """Return the elements an XPath selects in a BPMN document (prefixes of :data:`NSMAP`, ``$name`` variables)."""
    # lxml types an XPath result as the union of every kind an expression may give; an element path gives elements
    return cast(list[etree._Element], tree.xpath(path, namespaces=NSMAP, **variables))


def read_process_properties(tree: etree._ElementTree, process_id: str) -> dict[str, str]:
    """Return the ``spiffworkflow:property`` values declared on ``<bpmn:process id=...>``."""
    nodes = xpath_elements(
        tree,
        f"//bpmn:process[@id='{process_id}']/bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property",
    )
    return {node.get("name", ""): node.get("value", "") for node in nodes}


def executable_process_ids(tree: etree._ElementTree) -> list[str]:
    """Return the ids of the executable processes in a BPMN document."""
    return [p.get("id", "") for p in xpath_elements(tree, "//bpmn:process[@isExecutable='true']")]


@lru_cache(maxsize=1)
def _xsd_validator() -> BpmnValidator:
    return BpmnValidator()


def build_definition(
    bpmn_xml: str,
    forms: dict[str, dict[str, Any]],
    config: dict[str, Any] | None = None,
    filename: str = "<bpmn>",
) -> ProcessDefinition:
    """Parse and validate a process from text; raise InvalidProcess listing every problem."""
    tree = parse_xml_safely(bpmn_xml, filename)
    process_ids = executable_process_ids(tree)
    if len(process_ids) != 1:
        raise InvalidProcess(
            f"{filename}: harus memuat tepat satu proses yang dapat dijalankan (isExecutable='true'), "
            f"ditemukan {len(process_ids)}.",
            [{"element": "", "message": "jumlah proses executable bukan 1"}],
        )
    process_id = process_ids[0]
    parser = SpiffBpmnParser(validator=_xsd_validator())
    try:
        parser.add_bpmn_xml(tree, filename=filename)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        element = getattr(exc, "id", "") or ""
        raise InvalidProcess(
            f"{filename}: BPMN tidak sah{f' pada elemen {element}' if element else ''}: {exc}",
            [{"element": element, "message": str(exc).splitlines()[0]}],
        ) from None
    properties = read_process_properties(tree, process_id)
    problems = _check_forms(forms)
    problems += check_task_rules(spec, forms, registry.names())
    problems += _check_expressions(spec, properties, forms)
    if properties.get("sopflow.start_form") and properties["sopflow.start_form"] not in forms:
        problems.append(
            {
                "element": process_id,
                "message": f"formulir awal {properties['sopflow.start_form']!r} tidak ditemukan",
            }
        )
    if problems:
        lines = "\n".join(f"- {p['element'] or filename}: {p['message']}" for p in problems)
        raise InvalidProcess(f"{filename}: {len(problems)} masalah ditemukan:\n{lines}", problems)
    return ProcessDefinition(
        process_id=process_id,
        name=spec.description or process_id,
        bpmn_xml=bpmn_xml,
        sha256=hashlib.sha256(bpmn_xml.encode("utf-8")).hexdigest(),
        spec=spec,
        subprocess_specs=subprocess_specs,
        properties=properties,
        forms=forms,
        config=config or {},
    )


def load_process_file(path: str | Path) -> ProcessDefinition:
    """Load a ``.bpmn`` file with the form schemas it names and its ``<stem>.config.json``."""
    path = Path(path)
    if not path.is_file():
        raise InvalidProcess(f"Berkas {path} tidak ditemukan.", [{"element": "", "message": "berkas tidak ada"}])
    bpmn_xml = path.read_text(encoding="utf-8")
    tree = parse_xml_safely(bpmn_xml, path.name)
    forms, problems = _read_referenced_forms(tree, path.parent)
    config_path = path.with_suffix(".config.json")
    config: dict[str, Any] = {}
    if config_path.is_file():
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            problems.append({"element": "", "message": f"{config_path.name} bukan JSON yang sah: {exc}"})
    if problems:
        lines = "\n".join(f"- {p['element'] or path.name}: {p['message']}" for p in problems)
        raise InvalidProcess(f"{path.name}: {len(problems)} masalah ditemukan:\n{lines}", problems)
    return build_definition(bpmn_xml, forms, config, filename=path.name)


def _read_referenced_forms(
    tree: etree._ElementTree, base: Path
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    names = {n.text.strip() for n in xpath_elements(tree, "//spiffworkflow:formJsonSchemaFilename") if n.text}
    names |= {
        value
        for n in xpath_elements(tree, "//spiffworkflow:property[@name='sopflow.start_form']")
        if (value := n.get("value"))
    }
    forms: dict[str, dict[str, Any]] = {}
    problems: list[dict[str, Any]] = []
    root = base.resolve()
    for name in sorted(names):
        form_path = (base / name).resolve()
        if root not in form_path.parents:
            problems.append({"element": "", "message": f"formulir {name!r} berada di luar folder proses"})
            continue
        if not form_path.is_file():
            problems.append({"element": "", "message": f"formulir {name!r} tidak ditemukan"})
            continue
        try:
            forms[name] = json.loads(form_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            problems.append({"element": "", "message": f"formulir {name!r} bukan JSON yang sah: {exc}"})
    return forms, problems


def _check_forms(forms: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    problems = []
    for name, schema in forms.items():
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            problems.append({"element": "", "message": f"formulir {name!r} bukan JSON Schema yang sah: {exc.message}"})
            continue
        validator = schema.get("x-sopflow-validate")
        if validator and validator not in registry.names():
            problems.append(
                {"element": "", "message": f"formulir {name!r} memakai validator {validator!r} yang tidak terdaftar"}
            )
    return problems


def _check_expressions(spec: Any, properties: dict[str, str], forms: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Compile every expression of the diagram under the sandbox."""
    problems: list[dict[str, Any]] = []

    def check(element: str, what: str, source: str | None, script: bool = False) -> None:
        if not source or not source.strip():
            return
        try:
            (compile_script if script else compile_expression)(source)
        except ExpressionRejected as exc:
            problems.append({"element": element, "message": f"{what}: {exc.message}"})

    for ts in iter_bpmn_task_specs(spec):
        element = ts.bpmn_id
        for condition, _target in getattr(ts, "cond_task_specs", []) or []:
            source = condition.args[0] if hasattr(condition, "args") and condition.args else condition
            check(element, "kondisi gateway", source if isinstance(source, str) else None)
        check(element, "skrip", getattr(ts, "script", None), script=True)
        check(element, "pra-skrip", getattr(ts, "prescript", None), script=True)
        check(element, "pasca-skrip", getattr(ts, "postscript", None), script=True)
        for name, param in (getattr(ts, "operation_params", None) or {}).items():
            check(element, f"parameter {name!r}", param.get("value"))
        if isinstance(ts, LoopTask):
            check(element, "kondisi perulangan", getattr(ts, "condition", None))
        event = getattr(ts, "event_definition", None)
        check(element, "ekspresi timer", getattr(event, "expression", None))
        props = (getattr(ts, "extensions", None) or {}).get("properties", {})
        for key in ("sopflow.unit", "sopflow.label"):
            check(element, key, props.get(key))
    return problems
