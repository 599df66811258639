"""``sopflow audit``: verify the audit chain, sign checkpoints, replay a case, export its evidence bundle."""

from __future__ import annotations

from pathlib import Path

import click

from sopflow.audit.chain import describe
from sopflow.audit.checkpoint import create_checkpoint
from sopflow.audit.history import export_bundle, verify_bundle
from sopflow.audit.replay import replay_case
from sopflow.audit.verify import verify_database
from sopflow.cli.context import CliContext, pass_cli
from sopflow.cli.options import case_argument, case_filter_option, out_option


@click.group("audit", help="jejak audit")
def audit_group() -> None:
    """Group the audit trail commands."""


@audit_group.command("verify", help="periksa rantai hash peristiwa audit (atau --bundle, luring)")
@case_filter_option
@click.option("--bundle", metavar="ZIP", help="berkas .zip hasil 'audit export'")
@click.option("--key", metavar="PEM", help="kunci publik instans (PEM) yang dipercaya, untuk --bundle")
@pass_cli
def verify(cli: CliContext, case: str | None, bundle: str | None, key: str | None) -> int:
    """Check chains, anchors and signed checkpoints (or an exported bundle, offline); exit 1 naming each problem.

    Damaged data is a named problem, never a traceback.
    """
    try:
        if bundle:
            report = verify_bundle(bundle, Path(key).read_bytes() if key else None)
        else:
            engine = cli.engine()
            with engine.db.reading() as session:
                report = verify_database(session, engine.settings.data_dir, case, engine.settings.signing_trust_roots)
    except (OSError, ValueError, TypeError, LookupError, UnicodeError) as exc:
        print(
            f"Rantai audit RUSAK: data audit tidak terbaca sehingga pemeriksaan terhenti ({type(exc).__name__}: {exc})."
        )
        return 1
    print(report.summary())
    for problem in report.problems[1:]:
        print(f"  juga {describe(problem)}")
    return 0 if report.intact else 1


@audit_group.command("checkpoint", help="tandatangani checkpoint atas kepala rantai audit setiap kasus")
@pass_cli
def checkpoint(cli: CliContext) -> int:
    """Sign a checkpoint over every case's audit head with the instance's key (when events were added)."""
    engine = cli.engine()
    created = create_checkpoint(engine.db, engine.settings.data_dir, engine.clock())
    if created is None:
        print("Tidak ada peristiwa audit baru sejak checkpoint terakhir; tidak ada checkpoint dibuat.")
    else:
        print(
            f"Checkpoint #{created.id} ditandatangani: {created.events} peristiwa pada {created.cases} kasus "
            f"({created.changes} kasus berubah sejak checkpoint sebelumnya)."
        )
    return 0


@audit_group.command("replay", help="jalankan ulang kasus dari masukan tercatat dan bandingkan")
@case_argument
@pass_cli
def replay(cli: CliContext, case: str) -> int:
    """Re-execute a case from its recorded inputs; exit 1 naming the first divergence."""
    engine = cli.engine()
    with engine.db.reading() as session:
        report = replay_case(session, engine.services.files, engine.settings.templates_dir, case)
    print(report.summary())
    return 0 if report.matches else 1


@audit_group.command("export", help="ekspor bundel bukti satu kasus")
@case_argument
@out_option(help_text="berkas .zip tujuan")
@pass_cli
def export(cli: CliContext, case: str, out: str) -> int:
    """Write a case's evidence bundle (events, BPMN version, documents, manifest) to a zip file."""
    engine = cli.engine()
    with engine.db.reading() as session:
        data = export_bundle(session, engine.services.files, case, engine.settings.data_dir)
    Path(out).write_bytes(data)
    print(f"Bundel bukti kasus {case} ditulis ke {out} ({len(data):,} byte).")
    return 0
