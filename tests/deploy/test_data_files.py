"""Required data files: a missing one stops start-up with a message naming it; nothing falls back silently."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sopflow import Engine, Settings
from sopflow.calendar.working_days import load_calendar
from sopflow.cli import main
from sopflow.demo import load_script
from sopflow.errors import DeploymentError
from sopflow.resources import builtin_processes_dir, builtin_samples_dir, builtin_templates_dir
from webapp import create_app


def copy_without(source: Path, target: Path, name: str) -> Path:
    shutil.copytree(source, target)
    (target / name).unlink()
    return target


def test_packaged_data_is_found_through_the_package():
    assert (builtin_processes_dir() / "monev_kinerja.bpmn").is_file()
    assert (builtin_processes_dir() / "kalender.json").is_file()
    assert (builtin_processes_dir() / "forms" / "mula.schema.json").is_file()
    assert (builtin_templates_dir() / "laporan_monev_kinerja.docx").is_file()
    assert (builtin_samples_dir() / "monev_kinerja" / "demo.json").is_file()
    assert len(list((builtin_samples_dir() / "monev_kinerja" / "lembar_isian").glob("*.xlsx"))) == 5


def test_missing_calendar_file_is_an_error_naming_it(tmp_path):
    missing = tmp_path / "kalender.json"
    with pytest.raises(DeploymentError, match="kalender") as caught:
        load_calendar(str(missing))
    assert str(missing) in caught.value.message


def test_malformed_calendar_file_is_an_error_naming_it(tmp_path):
    broken = tmp_path / "kalender.json"
    broken.write_text(json.dumps({"cuti_bersama": ["18-08-2026"]}), encoding="utf-8")
    with pytest.raises(DeploymentError, match="tidak sah") as caught:
        load_calendar(str(broken))
    assert str(broken) in caught.value.message


def test_engine_refuses_a_processes_dir_without_its_calendar(tmp_path, database):
    processes = copy_without(builtin_processes_dir(), tmp_path / "proses", "kalender.json")
    settings = Settings(database_url=database.url, data_dir=tmp_path / "data", processes_dir=processes)
    with pytest.raises(DeploymentError) as caught:
        settings.check_data_files()
    assert str(processes / "kalender.json") in caught.value.message
    with pytest.raises(DeploymentError, match="kalender"):
        Engine(database, settings)


def test_web_app_refuses_a_templates_dir_without_the_report_template(tmp_path, database):
    templates = copy_without(builtin_templates_dir(), tmp_path / "templat", "laporan_monev_kinerja.docx")
    settings = Settings(database_url=database.url, data_dir=tmp_path / "data", templates_dir=templates)
    with pytest.raises(DeploymentError) as caught:
        create_app({"SOPFLOW_SETTINGS": settings})
    assert str(templates / "laporan_monev_kinerja.docx") in caught.value.message


def test_demo_script_naming_a_missing_file_is_refused(tmp_path):
    samples = tmp_path / "contoh"
    shutil.copytree(builtin_samples_dir() / "monev_kinerja", samples)
    (samples / "lembar_isian" / "statistik.xlsx").unlink()
    with pytest.raises(DeploymentError) as caught:
        load_script(samples / "demo.json")
    assert str(samples / "lembar_isian" / "statistik.xlsx") in caught.value.message
    with pytest.raises(DeploymentError, match="skenario demo") as caught:
        load_script(samples / "tidak-ada.json")


def test_cli_demo_stops_at_start_naming_the_missing_calendar(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    processes = copy_without(builtin_processes_dir(), tmp_path / "proses", "kalender.json")
    monkeypatch.setenv("SOPFLOW_PROCESSES_DIR", str(processes))
    assert main(["--data-dir", str(tmp_path / "data"), "demo", "--out", str(tmp_path / "hasil")]) == 1
    assert str(processes / "kalender.json") in capsys.readouterr().err
    assert not (tmp_path / "hasil").exists()


def test_cli_demo_stops_when_the_processes_dir_lacks_the_scripts_process(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    processes = copy_without(builtin_processes_dir(), tmp_path / "proses", "monev_kinerja.bpmn")
    monkeypatch.setenv("SOPFLOW_PROCESSES_DIR", str(processes))
    assert main(["--data-dir", str(tmp_path / "data"), "demo", "--out", str(tmp_path / "hasil")]) == 1
    assert str(processes / "monev_kinerja.bpmn") in capsys.readouterr().err
