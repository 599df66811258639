"""Loading a process: hostile or malformed XML, XSD errors and sopflow's rules each give a clear error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sopflow import InvalidProcess
from sopflow.cli import main
from sopflow.process.spec_loader import load_process_file
from sopflow.settings import PROJECT_ROOT

DATA = Path(__file__).parent / "data"


@pytest.fixture
def mini_copy(tmp_path: Path) -> Path:
    """A writable copy of the mini process with its forms."""
    shutil.copytree(DATA / "forms", tmp_path / "forms")
    target = tmp_path / "mini.bpmn"
    shutil.copyfile(DATA / "mini.bpmn", target)
    return target


def edit(path: Path, old: str, new: str) -> Path:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[dict]:
    with pytest.raises(InvalidProcess) as err:
        load_process_file(path)
    return err.value.problems


def test_the_mini_and_the_shipped_process_are_valid(mini_copy):
    assert load_process_file(mini_copy).process_id == "mini"
    definition = load_process_file(PROJECT_ROOT / "processes" / "monev_kinerja.bpmn")
    assert definition.properties["sop.nomor"] == "002/SOP/Diskominfo/BLG/2023"


@pytest.mark.parametrize(
    "prologue",
    [
        '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
    ],
)
def test_hostile_xml_is_rejected(mini_copy, prologue):
    text = mini_copy.read_text(encoding="utf-8")
    text = text.replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="UTF-8"?>' + prologue)
    mini_copy.write_text(text.replace('name="Isi angka"', 'name="&xxe;"' if "xxe" in prologue else 'name="&c;"'))
    with pytest.raises(InvalidProcess, match="DOCTYPE"):
        load_process_file(mini_copy)


def test_malformed_xml(mini_copy):
    edit(mini_copy, "</bpmn:process>", "")
    with pytest.raises(InvalidProcess, match="bukan XML yang sah"):
        load_process_file(mini_copy)


def test_xsd_violation(mini_copy):
    edit(mini_copy, '<bpmn:endEvent id="selesai"', '<bpmn:endEvent id="selesai" warna="merah"')
    with pytest.raises(InvalidProcess, match="BPMN tidak sah"):
        load_process_file(mini_copy)


def test_user_task_outside_any_lane(mini_copy):
    edit(mini_copy, "<bpmn:flowNodeRef>isi_angka</bpmn:flowNodeRef>", "")
    assert {"element": "isi_angka", "message": "tugas pengguna tidak berada di lane mana pun"} in problems_of(mini_copy)


def test_unregistered_operator_names_the_registered_ones(mini_copy):
    edit(mini_copy, 'id="uji_gandakan"', 'id="kirim_email"')
    (problem,) = [p for p in problems_of(mini_copy) if p["element"] == "hitung"]
    assert "'kirim_email' tidak terdaftar" in problem["message"] and "uji_gandakan" in problem["message"]


def test_missing_form_and_missing_mutu_baku(mini_copy):
    (mini_copy.parent / "forms" / "putuskan.schema.json").unlink()
    edit(mini_copy, '<spiffworkflow:property name="sop.output" value="Angka"/>', "")
    edit(
        mini_copy,
        '<spiffworkflow:property name="sop.waktu" value="1"/>',
        '<spiffworkflow:property name="sop.waktu" value="satu"/>',
    )
    messages = {(p["element"], p["message"]) for p in problems_of(mini_copy)}
    assert ("", "formulir 'forms/putuskan.schema.json' tidak ditemukan") in messages


def test_rule_problems_name_each_element(mini_copy):
    edit(mini_copy, '<spiffworkflow:property name="sop.output" value="Angka"/>', "")
    edit(
        mini_copy,
        '<spiffworkflow:property name="sop.waktu" value="1"/>',
        '<spiffworkflow:property name="sop.waktu" value="satu"/>',
    )
    edit(
        mini_copy,
        '<spiffworkflow:property name="sop.satuan" value="jam"/>',
        '<spiffworkflow:property name="sop.satuan" value="minggu"/>',
    )
    messages = {(p["element"], p["message"]) for p in problems_of(mini_copy)}
    assert ("isi_angka", "Mutu Baku belum lengkap: properti sop.output kosong") in messages
    assert ("hitung", "sop.waktu harus angka ≥ 0, bukan 'satu'") in messages
    assert any(e == "putuskan" and "sop.satuan 'minggu'" in m for e, m in messages)


def test_invalid_form_schema(mini_copy):
    (mini_copy.parent / "forms" / "putuskan.schema.json").write_text('{"type": "objek"}')
    assert any("bukan JSON Schema yang sah" in p["message"] for p in problems_of(mini_copy))


def test_cli_validate_exit_codes(mini_copy, capsys):
    assert main(["validate", str(mini_copy)]) == 0
    assert "sah" in capsys.readouterr().out
    edit(mini_copy, "keputusan == 'setuju'", "__import__('os').system('id')")
    assert main(["validate", str(mini_copy)]) == 1
    out = capsys.readouterr().out
    assert "gw" in out and "__import__" in out
