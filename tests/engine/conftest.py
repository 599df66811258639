"""Fixtures for engine tests: a tiny process (``data/mini.bpmn``) and its test-only handlers."""

from __future__ import annotations

from pathlib import Path

import pytest

from sopflow import Engine, StartInstance
from sopflow.plugins import HandlerError, register

DATA = Path(__file__).parent / "data"
MINI = DATA / "mini.bpmn"


@register("uji_gandakan")
def uji_gandakan(params: dict, ctx) -> dict:
    """Test handler: double ``angka``; 13 is refused (a handler error), 666 crashes (a bug)."""
    if params["angka"] == 13:
        raise HandlerError("Angka 13 tidak boleh diproses.")
    if params["angka"] == 666:
        raise RuntimeError("pembagian oleh nol di baris 42")
    ref = ctx.files.put(b"hasil %d" % params["angka"], "hasil.txt", "text/plain", kind="hasil")
    return {"nilai": params["angka"] * 2, "berkas": ref}


@register("uji_periksa_angka")
def uji_periksa_angka(params: dict, ctx) -> dict:
    """Test form validator: 99 is refused with a field error."""
    if params["form"].get("angka") == 99:
        raise HandlerError("Angka 99 dilarang.", [{"field": "angka", "message": "Angka 99 dilarang di sini."}])
    return {}


@pytest.fixture
def mini(engine: Engine, make_user) -> dict:
    """Publish the mini process; users: ani (Pengusul, process owner), budi (Pemeriksa, U1+U2), cici (U1), dodi."""
    version = engine.publish_process(MINI, "ani")
    make_user("ani", lanes=["Pengusul"], roles=("aktor", "pemilik_proses"))
    make_user("budi", lanes=["Pemeriksa"], units=["U1", "U2"])
    make_user("cici", lanes=["Pemeriksa"], units=["U1"])
    make_user("dodi", lanes=["Pengusul"])
    return {"version": version}


@pytest.fixture
def start(engine: Engine, mini: dict):
    """Return a function starting a mini case as ani: ``start(periode="2026-TW1", units=("U1", "U2"))``."""

    def start_case(periode: str = "2026-TW1", units=("U1", "U2")):
        data = {"daftar_unit": [{"unit": u} for u in units]}
        return engine.start_instance(StartInstance("mini", "ani", periode, data))

    return start_case
