"""Schemathesis hooks of tests/webapp/test_api_schemathesis.py (loaded through ``SCHEMATHESIS_HOOKS``).

A process's start form is a JSON Schema of the process, not of the API (``StartCaseRequest.data`` is any
object), so generated start data never starts a case and the stateful phase would never reach the links
from ``POST /cases`` to the case and its tasks. Every other positive ``POST /cases`` therefore carries
the sample start data of the monev SOP and a fresh periode (a valid one, never used before in the run);
the rest, and every negative case, stay as generated.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis import GenerationMode

_SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "monev_kinerja" / "indikator_2026.json"
_START_DATA = {
    key: value for key, value in json.loads(_SAMPLE.read_text(encoding="utf-8")).items() if key != "keterangan"
}
_CALLS = itertools.count()
_PERIODES = (f"{year}-TW{quarter}" for year in itertools.count(2031) for quarter in range(1, 5))


@schemathesis.hook("map_case").apply_to(operation_id="startCase")
def start_real_cases(context: Any, case: Any) -> Any:
    """Give every other positive ``POST /cases`` the sample start data and a fresh periode."""
    positive = case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE
    if positive and isinstance(case.body, dict) and next(_CALLS) % 2 == 0:
        case.body = {"process_id": "monev_kinerja", "periode": next(_PERIODES), "data": _START_DATA}
    return case
