"""``sopflow case ...``: a mini case started, claimed, completed and shown from the command line (the CLI's main)."""

from __future__ import annotations

import json
import re

import pytest

from sopflow.cli import main


@pytest.fixture
def sopflow(engine, mini, settings, monkeypatch, capsys):
    """Run ``sopflow --data-dir <test data> ARGS`` on the test database; return (status, stdout, stderr)."""
    monkeypatch.setenv("DATABASE_URL", engine.db.url)

    def run(*args: str) -> tuple[int, str, str]:
        status = main(["--data-dir", str(settings.data_dir), *args])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def test_a_case_runs_through_the_case_group(sopflow, tmp_path):
    start_data = tmp_path / "mulai.json"
    start_data.write_text(json.dumps({"daftar_unit": [{"unit": "U1"}], "putaran": 0, "bukan_isian": "x"}))
    # --keys takes every value up to the next option (argparse's nargs="*" before click)
    status, out, _ = sopflow(
        "case", "start", "mini", "--periode", "2026-TW1", "--actor", "ani", "--data", str(start_data),
        "--keys", "daftar_unit", "putaran",
    )  # fmt: skip
    assert status == 0, out
    case_id = re.search(r"^Kasus (\S+): berjalan", out, re.M).group(1)
    task_id = re.search(r"siap: (\S+)\s+langkah \S+\s+Isi angka", out).group(1)

    status, out, _ = sopflow("case", "tasks", "ani")
    assert status == 0 and task_id in out and "2026-TW1" in out

    status, out, _ = sopflow("case", "claim", task_id, "--actor", "ani")
    assert (status, out.strip()) == (0, "Tugas Isi angka: diklaim oleh ani")
    status, out, _ = sopflow("case", "claim", task_id, "--actor", "ani", "--release")
    assert (status, out.strip()) == (0, "Tugas Isi angka: dilepas")

    status, out, err = sopflow("case", "complete", task_id, "--actor", "ani", "--data", '{"angka": 99}')
    assert status == 1 and re.search(r"^Galat: ", err, re.M) and "  - angka: Angka 99 dilarang di sini." in err

    status, out, _ = sopflow("case", "complete", task_id, "--actor", "ani", "--data", '{"angka": 2}')
    assert status == 0 and f"Kasus {case_id}" in out and "Periksa per unit" in out

    status, out, _ = sopflow("case", "show", case_id)
    shown = json.loads(out)
    assert status == 0 and shown["kasus"]["case_id"] == case_id
    assert {t["name"] for t in shown["tugas"]} >= {"Isi angka", "Periksa per unit"}


def test_start_data_keys_not_kept_by_keys_reach_the_form(sopflow, tmp_path):
    start_data = tmp_path / "mulai.json"
    start_data.write_text(json.dumps({"daftar_unit": [{"unit": "U1"}], "bukan_isian": "x"}))
    status, _, err = sopflow(
        "case", "start", "mini", "--periode", "2026-TW1", "--actor", "ani", "--data", str(start_data)
    )
    assert status == 1 and re.search(r"^Galat: Data awal kasus belum benar\.$", err, re.M)
    assert "  - bukan_isian: Isian tidak dikenal: bukan_isian." in err


def test_the_old_top_level_case_commands_are_usage_errors(sopflow):
    status, _, err = sopflow("start", "mini", "--periode", "2026-TW1", "--actor", "ani")
    assert status == 2 and "No such command 'start'" in err
    status, _, err = sopflow("case", "start", "mini", "--actor", "ani")
    assert status == 2 and "--periode" in err
