"""Compare two process versions element by element, as the process owner sees them in the diagram.

Elements are matched by their BPMN id in the XML (tasks, events, gateways, sequence
flows, ...). For each one we compare what the SOP and the engine read from it: name,
type, lane, incoming/outgoing flows, every ``spiffworkflow:property``, the service
operator and its parameters, the form file, the script and conditions.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from sopflow.process.spec_loader import BPMN_NS, NSMAP, SPIFF_NS, ProcessDefinition, parse_xml_safely, xpath_elements

#: Children of a process that are not diagram elements of their own.
_SKIPPED = {"laneSet", "extensionElements", "documentation", "ioSpecification", "property"}


def diff_definitions(old: ProcessDefinition, new: ProcessDefinition) -> dict[str, Any]:
    """Return what changed from ``old`` to ``new``.

    Returns ``{"added": [ids], "removed": [ids], "changed": [{"element", "name", "changes":
    [{"property", "before", "after"}]}], "process_changes": [{"property", "before", "after"}],
    "names": {id: what a person reads (name, or "alur A → B" for a flow)}}``;
    values are strings (None when absent). Raises InvalidProcess only for unreadable XML.
    """
    old_tree = parse_xml_safely(old.bpmn_xml)
    new_tree = parse_xml_safely(new.bpmn_xml)
    before = element_facts(old_tree, old.process_id)
    after = element_facts(new_tree, new.process_id)
    changed = []
    for element, facts in after.items():
        if element not in before:
            continue
        changes = _compare(before[element], facts)
        if changes:
            changed.append(
                {"element": element, "name": facts.get("name") or before[element].get("name"), "changes": changes}
            )
    return {
        "added": [e for e in after if e not in before],
        "removed": [e for e in before if e not in after],
        "changed": changed,
        "process_changes": _compare(_process_facts(old_tree, old.process_id), _process_facts(new_tree, new.process_id)),
        "names": _readable_names({**before, **after}),
    }


def _readable_names(facts: dict[str, dict[str, str | None]]) -> dict[str, str]:
    """Return what a person reads for each element: its name, or for a flow "alur <from> → <to>"."""

    def name(element: str | None) -> str:
        return (facts.get(element or "") or {}).get("name") or (element or "?")

    names = {}
    for element, fact in facts.items():
        if fact.get("type") == "sequenceFlow":
            label = f" ({fact['name']})" if fact.get("name") else ""
            names[element] = f"alur {name(fact.get('source'))} → {name(fact.get('target'))}{label}"
        else:
            names[element] = fact.get("name") or element
    return names


def element_facts(tree: etree._ElementTree, process_id: str) -> dict[str, dict[str, str | None]]:
    """Return ``{element_id: {property: value}}`` for every diagram element of the process, in document order."""
    process = _process(tree, process_id)
    if process is None:
        return {}
    lanes = {
        ref.text.strip(): lane.get("name") or lane.get("id")
        for lane in process.iter(f"{{{BPMN_NS}}}lane")
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef")
        if ref.text
    }
    facts: dict[str, dict[str, str | None]] = {}
    _collect(process, lanes, facts)
    return facts


def _collect(parent: Any, lanes: dict[str, str], facts: dict[str, dict[str, str | None]]) -> None:
    for node in parent:
        if not isinstance(node.tag, str) or not node.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        kind = etree.QName(node).localname
        if kind in _SKIPPED or not node.get("id"):
            continue
        facts[node.get("id")] = _facts_of(node, kind, lanes)
        if kind in ("subProcess", "transaction"):
            _collect(node, lanes, facts)


def _facts_of(node: Any, kind: str, lanes: dict[str, str]) -> dict[str, str | None]:
    element = node.get("id")
    facts: dict[str, str | None] = {"type": kind, "name": node.get("name"), "lane": lanes.get(element)}
    if kind == "sequenceFlow":
        facts["source"] = node.get("sourceRef")
        facts["target"] = node.get("targetRef")
        facts["condition"] = _text(node.find(f"{{{BPMN_NS}}}conditionExpression"))
    else:
        facts["incoming"] = _joined(node.findall(f"{{{BPMN_NS}}}incoming"))
        facts["outgoing"] = _joined(node.findall(f"{{{BPMN_NS}}}outgoing"))
    facts["default"] = node.get("default")
    facts["script"] = _text(node.find(f"{{{BPMN_NS}}}script"))
    facts["form"] = _text(node.find("bpmn:extensionElements/spiffworkflow:formJsonSchemaFilename", NSMAP))
    for tag in ("preScript", "postScript"):
        facts[tag] = _text(node.find(f"bpmn:extensionElements/spiffworkflow:{tag}", NSMAP))
    operator = node.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NSMAP)
    if operator is not None:
        facts["service.operator"] = operator.get("id")
        facts["service.resultVariable"] = operator.get("resultVariable")
        for param in operator.iter(f"{{{SPIFF_NS}}}parameter"):
            facts[f"service.param.{param.get('id')}"] = f"{param.get('value')} ({param.get('type')})"
    loop = node.find(f"{{{BPMN_NS}}}multiInstanceLoopCharacteristics")
    if loop is not None:
        facts["multiInstance"] = " ".join(
            f"{etree.QName(child).localname}={(child.text or child.get('name') or '').strip()}"
            for child in loop
            if isinstance(child.tag, str)
        ) + (" (sequential)" if loop.get("isSequential") == "true" else "")
    for prop in node.findall("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NSMAP):
        facts[prop.get("name")] = prop.get("value", "")
    return {key: value for key, value in facts.items() if value is not None}


def _process_facts(tree: etree._ElementTree, process_id: str) -> dict[str, str | None]:
    process = _process(tree, process_id)
    if process is None:
        return {}
    facts: dict[str, str | None] = {"id": process_id, "name": process.get("name")}
    lanes = [lane.get("name") or lane.get("id") for lane in process.iter(f"{{{BPMN_NS}}}lane")]
    facts["lanes"] = ", ".join(lanes)
    for prop in process.findall("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NSMAP):
        facts[prop.get("name")] = prop.get("value", "")
    return {key: value for key, value in facts.items() if value is not None}


def _compare(before: dict[str, str | None], after: dict[str, str | None]) -> list[dict[str, str | None]]:
    keys = list(before) + [k for k in after if k not in before]
    return [
        {"property": key, "before": before.get(key), "after": after.get(key)}
        for key in keys
        if before.get(key) != after.get(key)
    ]


def _process(tree: etree._ElementTree, process_id: str) -> Any:
    found = xpath_elements(tree, "//bpmn:process[@id=$pid]", pid=process_id)
    return found[0] if found else None


def _text(node: Any) -> str | None:
    return node.text.strip() if node is not None and node.text is not None else None


def _joined(nodes: list[Any]) -> str | None:
    names = sorted(n.text.strip() for n in nodes if n.text)
    return ", ".join(names) if names else None
