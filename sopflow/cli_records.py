"""CLI commands about records: the audit chain, evidence bundles, the archive and the SOP document."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from sopflow.audit.chain import describe
from sopflow.audit.checkpoint import create_checkpoint
from sopflow.audit.history import export_bundle, verify_bundle
from sopflow.audit.replay import replay_case
from sopflow.audit.verify import verify_database
from sopflow.documents.pdf_export import PdfConversionFailed, PdfUnavailable, docx_to_pdf
from sopflow.engine.boundary import Engine
from sopflow.engine.files import FileStore
from sopflow.persistence import store
from sopflow.persistence.db import open_database
from sopflow.process.spec_loader import load_process_file
from sopflow.queries import inbox
from sopflow.settings import Settings
from sopflow.sopdoc.document import render_sop_document
from sopflow.sopdoc.logo import logo_bytes
from sopflow.sopdoc.publication import publish_date


def engine_from_args(args: argparse.Namespace) -> Engine:
    """Build the engine for a CLI call (``--data-dir`` / environment).

    Required data files must exist (DeploymentError naming the missing one). In embedded
    mode the schema is upgraded for the user; otherwise it must already be at head
    (SchemaOutdated: run ``sopflow db upgrade``).
    """
    settings = Settings.from_env(data_dir=getattr(args, "data_dir", None))
    settings.check_data_files()
    return Engine(open_database(settings), settings)


_engine = engine_from_args


def cmd_archive(args: argparse.Namespace) -> int:
    """List archived documents and verify each file against its SHA-256."""
    engine = _engine(args)
    store = FileStore(engine.settings.files_dir)
    with engine.db.reading() as session:
        entries = inbox.archive_entries(session, args.case)
    broken = 0
    for entry in entries:
        ok = store.verify(entry["sha256"]) if args.action == "verify" else None
        broken += ok is False
        mark = "" if ok is None else ("  UTUH" if ok else "  RUSAK/HILANG")
        meta = entry["meta"]
        print(f"{entry['case_id']}  {meta.get('periode', '-')}  {entry['filename']}  {entry['sha256']}{mark}")
    if not entries:
        print("Arsip kosong.")
    return 1 if broken else 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Check chains, anchors and signed checkpoints (or an exported bundle, offline); exit 1 naming each problem.

    Damaged data is a named problem, never a traceback.
    """
    try:
        if args.bundle:
            report = verify_bundle(args.bundle, Path(args.key).read_bytes() if args.key else None)
        else:
            engine = _engine(args)
            with engine.db.reading() as session:
                report = verify_database(
                    session, engine.settings.data_dir, args.case, engine.settings.signing_trust_roots
                )
    except (OSError, ValueError, TypeError, LookupError, UnicodeError) as exc:
        print(
            f"Rantai audit RUSAK: data audit tidak terbaca sehingga pemeriksaan terhenti ({type(exc).__name__}: {exc})."
        )
        return 1
    print(report.summary())
    for problem in report.problems[1:]:
        print(f"  juga {describe(problem)}")
    return 0 if report.intact else 1


def cmd_audit_checkpoint(args: argparse.Namespace) -> int:
    """Sign a checkpoint over every case's audit head with the instance's key (when events were added)."""
    engine = _engine(args)
    created = create_checkpoint(engine.db, engine.settings.data_dir, engine.clock())
    if created is None:
        print("Tidak ada peristiwa audit baru sejak checkpoint terakhir; tidak ada checkpoint dibuat.")
    else:
        print(
            f"Checkpoint #{created.id} ditandatangani: {created.events} peristiwa pada {created.cases} kasus "
            f"({created.changes} kasus berubah sejak checkpoint sebelumnya)."
        )
    return 0


def cmd_audit_export(args: argparse.Namespace) -> int:
    """Write a case's evidence bundle (events, BPMN version, documents, manifest) to a zip file."""
    engine = _engine(args)
    with engine.db.reading() as session:
        data = export_bundle(session, engine.services.files, args.case, engine.settings.data_dir)
    Path(args.out).write_bytes(data)
    print(f"Bundel bukti kasus {args.case} ditulis ke {args.out} ({len(data):,} byte).")
    return 0


def cmd_sop_doc(args: argparse.Namespace) -> int:
    """Write the official SOP document (.docx) generated from a BPMN file or a published version."""
    number, published, logo = None, None, None
    if args.file:
        definition = load_process_file(args.file)
        logo = Settings.from_env(data_dir=getattr(args, "data_dir", None)).logo_file
    else:
        engine = _engine(args)
        with engine.db.reading() as session:
            row = store.version_of(session, args.process, args.version)
            definition = store.definition_of(row)
            number, published = row.version, publish_date(row.created_at, engine.settings.timezone)
        logo = engine.settings.logo_file
    revised = date.fromisoformat(args.revised_on) if args.revised_on else published
    data = render_sop_document(definition, revised_on=revised, version=number, logo=logo_bytes(logo))
    Path(args.out).write_bytes(data)
    print(f"Dokumen SOP {definition.properties.get('sop.nomor', definition.process_id)} ditulis ke {args.out}.")
    if getattr(args, "pdf", False):
        return _sop_pdf(data, Path(args.out).with_suffix(".pdf"))
    return 0


def _sop_pdf(docx: bytes, target: Path) -> int:
    """Write the PDF/A-2b of the SOP document beside its .docx (LibreOffice, here in the CLI: no request waits)."""
    try:
        target.write_bytes(docx_to_pdf(docx))
    except (PdfUnavailable, PdfConversionFailed) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"PDF/A-2b dokumen SOP ditulis ke {target}.")
    return 0


def cmd_audit_replay(args: argparse.Namespace) -> int:
    """Re-execute a case from its recorded inputs; exit 1 naming the first divergence."""
    engine = _engine(args)
    with engine.db.reading() as session:
        report = replay_case(session, engine.services.files, engine.settings.templates_dir, args.case)
    print(report.summary())
    return 0 if report.matches else 1


def add_record_commands(sub: Any, add: Any, group: Any) -> None:
    """Register the audit, archive and sop-doc subcommands on the main parser."""
    audit = group("audit", "jejak audit")
    p = add(audit, "verify", cmd_audit_verify, "periksa rantai hash peristiwa audit (atau --bundle, luring)")
    p.add_argument("--case")
    p.add_argument("--bundle", help="berkas .zip hasil 'audit export'")
    p.add_argument("--key", help="kunci publik instans (PEM) yang dipercaya, untuk --bundle")
    add(audit, "checkpoint", cmd_audit_checkpoint, "tandatangani checkpoint atas kepala rantai audit setiap kasus")
    p = add(audit, "replay", cmd_audit_replay, "jalankan ulang kasus dari masukan tercatat dan bandingkan")
    p.add_argument("case")
    p = add(audit, "export", cmd_audit_export, "ekspor bundel bukti satu kasus")
    p.add_argument("case")
    p.add_argument("--out", required=True)
    p = add(sub, "sop-doc", cmd_sop_doc, "buat dokumen SOP resmi (.docx) dari diagram")
    p.add_argument("file", nargs="?", help="berkas .bpmn (atau gunakan --version)")
    p.add_argument("--process", default="monev_kinerja")
    p.add_argument("--version", type=int, help="nomor versi yang dipublikasikan (bawaan: terbaru)")
    p.add_argument("--revised-on", help="tanggal revisi (YYYY-MM-DD) untuk diisikan")
    p.add_argument("--out", required=True)
    p.add_argument("--pdf", action="store_true", help="tulis juga PDF/A-2b di samping .docx (perlu LibreOffice)")
    archive = group("archive", "arsip dokumen")
    for action, help_text in (("list", "daftar arsip"), ("verify", "periksa SHA-256 setiap berkas arsip")):
        p = add(archive, action, cmd_archive, help_text)
        p.set_defaults(action=action)
        p.add_argument("--case")
