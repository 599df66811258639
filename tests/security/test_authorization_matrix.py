"""Every route × every role of the demo × own/other case: the status each one answers.

The routes come from ``app.url_map``: a route without an entry in :data:`EXPECT` fails
:func:`test_every_route_has_an_entry`. The world (built once per module, it is expensive):

- case X (2026-TW3) at step 2: every Bidang has its ``langkah02`` task (ready), each Bidang
  its format isian (``meta.bidang``);
- case Y (2026-TW2) at step 1: only the Sekretaris' task, no Kepala Bidang task yet.

"own" is case X, the task and format isian of Bidang A (Informasi dan Komunikasi Publik);
"other" is case Y, the task and format isian of Bidang B (Aplikasi Informatika) in case X.
Who sees what is written out by hand in :data:`VISIBLE` (not computed by sopflow), so a
change of the rule makes cells fail.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from sopflow import Database, Engine, Settings, StartInstance
from sopflow.access import tokens
from sopflow.access.users import add_user
from sopflow.demo import DEMO_PASSWORD, ensure_users, load_script
from sopflow.queries import inbox
from sopflow.settings import PROJECT_ROOT
from tests.webapp.conftest import SAMPLES, SCRIPT, Clock, csrf_token, play_steps
from webapp import create_app

IKP, APTIKA = "Informasi dan Komunikasi Publik", "Aplikasi Informatika"
ROLES = (
    "sekretaris",
    "kabid_ikp",  # Kepala Bidang of Bidang A
    "kabid_aptika",  # Kepala Bidang of Bidang B
    "kasubbag_perencanaan",
    "kasi_monev",
    "kadis",
    "inspektorat",
    "admin",
    "orang_luar",  # an actor of a lane the process does not know
)
SEE_ALL = {"sekretaris", "kasubbag_perencanaan", "kadis", "inspektorat", "admin"}  # roles, or sopflow.lihat_semua_kasus
#: who sees each object of the world (kasi_monev: the Kepala Seksi lane has no task in either case yet)
VISIBLE = {
    "case X": SEE_ALL | {"kabid_ikp", "kabid_aptika"},
    "case Y": SEE_ALL,
    "task A": SEE_ALL | {"kabid_ikp"},
    "task B": SEE_ALL | {"kabid_aptika"},
    "doc A": SEE_ALL | {"kabid_ikp"},
    "doc B": SEE_ALL | {"kabid_aptika"},
}
TARGETS = {
    "own": {"case": "case X", "task": "task A", "doc": "doc A"},
    "other": {"case": "case Y", "task": "task B", "doc": "doc B"},
}
ACTS_ON = {"task A": {"kabid_ikp"}, "task B": {"kabid_aptika"}}  # lane and unit of the task
TASK_PAGE_READERS = {"sekretaris", "inspektorat", "admin"}  # process owner, auditor, admin: any visible task
OWNERS = {"sekretaris", "admin"}  # pemilik_proses or admin
AUDIT = {"sekretaris", "inspektorat", "admin"}
OVERVIEW = {"sekretaris", "kadis", "inspektorat", "admin"}
AUDITOR = "inspektorat"


# -- rules: (role, target) -> expected status ------------------------------------------------------
def everyone(status: int):
    return lambda role, target: status


def only(roles: set[str], status: int = 200, others: int = 403):
    return lambda role, target: status if role in roles else others


def owners_acting(status: int):
    """Process owners and admins (the editor, starting a case): ``status``; everyone else 403."""
    return only(OWNERS, status)


def sees(kind: str, status: int = 200):
    """The object's viewers get ``status``; anyone else 404, as for an object that does not exist."""
    return lambda role, target: status if role in VISIBLE[TARGETS[target][kind]] else 404


def reads_task(role: str, target: str) -> int:
    task = TARGETS[target]["task"]
    if role not in VISIBLE[task]:
        return 404
    return 200 if role in ACTS_ON[task] or role in TASK_PAGE_READERS else 403


def acts_on_task(ok: int, refused: int = 403):
    """A task command: auditor 403 (read-only), not visible 404, lane/unit member ``ok``, others ``refused``."""

    def rule(role: str, target: str) -> int:
        task = TARGETS[target]["task"]
        if role == AUDITOR:
            return 403
        if role not in VISIBLE[task]:
            return 404
        return ok if role in ACTS_ON[task] else refused

    return rule


def actors(status: int):
    """A changing page any signed-in non-auditor may use: ``status``; the auditor 403."""
    return lambda role, target: 403 if role == AUDITOR else status


def asks_for_pdf(role: str, target: str) -> int:
    """ "Buat PDF": auditor 403 (read-only), not visible 404, else back to the case page (302, with a message)."""
    return 403 if role == AUDITOR else sees("doc", 302)(role, target)


EXPECT: dict[str, Any] = {
    # pages
    "GET /": everyone(200),
    "GET /masuk": everyone(302),  # signed in already: to the inbox
    "POST /masuk": everyone(302),  # signs in again with the role's own password
    "POST /keluar": everyone(302),
    "GET /kasus": everyone(200),
    "POST /kasus/baru": owners_acting(422),  # empty form
    "GET /kasus/<case_id>": sees("case"),
    "GET /kasus/<case_id>/status": sees("case"),
    "GET /dokumen/<case_id>/<int:doc_id>": sees("doc"),
    "GET /tugas/<task_id>": reads_task,
    "POST /tugas/<task_id>/klaim": acts_on_task(302),
    "POST /tugas/<task_id>/lepas": acts_on_task(302),
    "POST /tugas/<task_id>/selesai": acts_on_task(422),  # empty form
    "POST /tugas/<task_id>/alihkan": acts_on_task(422, refused=422),  # no to_user: refused before the engine
    "GET /ringkasan": only(OVERVIEW),
    "GET /antrean": owners_acting(200),
    "POST /antrean/<job_id>/ulang": owners_acting(404),  # no such job; the engine refuses anyone else
    "GET /notifikasi": everyone(200),
    "POST /notifikasi/dibaca": actors(302),
    "GET /profil": everyone(200),
    "POST /profil": actors(302),
    "GET /profil/token": everyone(200),
    "POST /profil/token/<token_id>/cabut": actors(404),  # no such token
    "GET /audit/": only(AUDIT),
    "GET /audit/identitas": only(AUDIT),
    "GET /audit/kasus/<case_id>": only(AUDIT),
    "GET /audit/kasus/<case_id>/pada/<int:seq>": only(AUDIT),
    "GET /audit/kasus/<case_id>/ekspor.csv": only(AUDIT),
    "GET /audit/kasus/<case_id>/kertas-kerja.docx": only(AUDIT),
    "GET /audit/kasus/<case_id>/bukti.zip": only(AUDIT),
    "GET /proses/": owners_acting(200),
    "GET /proses/<process_id>/editor": owners_acting(200),
    "GET /proses/<process_id>/banding": owners_acting(200),
    "GET /proses/<process_id>/unduh": owners_acting(200),
    "GET /proses/<process_id>/sop.docx": owners_acting(200),
    "GET /proses/<process_id>/migrasi": owners_acting(200),
    "POST /proses/<process_id>/migrasi": owners_acting(422),  # no case chosen
    "POST /proses/<process_id>/draf": owners_acting(400),  # no JSON
    "POST /proses/<process_id>/terbitkan": owners_acting(422),  # no note
    "POST /proses/<process_id>/unggah": owners_acting(422),  # no file
    # directory sign-in: without OIDC configured, every role is sent back to the login page
    "GET /masuk/sso": everyone(302),
    "GET /masuk/sso/kembali": everyone(302),
    "GET /keluar/sso": everyone(302),
    # signing certificates and the signing page (tasks A/B are not signing tasks: 404 for whoever may see them)
    "GET /profil/sertifikat": everyone(200),
    "POST /profil/sertifikat": actors(422),  # no file
    "GET /tugas/<task_id>/tanda-tangan": everyone(404),
    "POST /tugas/<task_id>/tanda-tangan": acts_on_task(404),  # its lane member: 404, it is no signing task
    "POST /kasus/<case_id>/dokumen/<doc_id>/pdf": asks_for_pdf,  # the documents are .xlsx: a message, no job
    # the SOP document's PDF (editor): no such job → 404 for owners
    "POST /proses/<process_id>/sop.pdf": owners_acting(302),
    "GET /proses/<process_id>/sop.pdf/<job_id>": owners_acting(404),
    "GET /proses/<process_id>/sop.pdf/<job_id>/unduh": owners_acting(404),
    "GET /healthz": everyone(200),
    "GET /readyz": everyone(200),
    "GET /favicon.ico": everyone(200),
    "GET /static/<path:filename>": everyone(200),
    # REST API (bearer token of the role)
    "GET /api/v1/openapi.json": everyone(200),
    "GET /api/docs": everyone(200),  # the OpenAPI document in Swagger UI (webapp/api_docs.py)
    "GET /api/v1/cases": everyone(200),
    "POST /api/v1/cases": owners_acting(422),  # empty body
    "GET /api/v1/cases/<case_id>": sees("case"),
    "GET /api/v1/cases/<case_id>/documents/<int:doc_id>": sees("doc"),
    "GET /api/v1/tasks": everyone(200),
    "GET /api/v1/tasks/<task_id>": reads_task,
    "POST /api/v1/tasks/<task_id>/claim": acts_on_task(200),
    "POST /api/v1/tasks/<task_id>/unclaim": acts_on_task(200),
    "POST /api/v1/tasks/<task_id>/complete": acts_on_task(422),  # empty form
    "POST /api/v1/tasks/<task_id>/files/<field>": acts_on_task(400, refused=400),  # not multipart
    "POST /api/v1/tasks/<task_id>/reassign": acts_on_task(422, refused=422),  # no to_user
    "GET /api/v1/notifications": everyone(200),
    "GET /api/v1/<path:_rest>": everyone(404),
    "POST /api/v1/<path:_rest>": actors(404),  # the auditor's write is refused before routing
    "PUT /api/v1/<path:_rest>": actors(404),
    "PATCH /api/v1/<path:_rest>": actors(404),
    "DELETE /api/v1/<path:_rest>": actors(404),
}


# -- the world ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("matrix")
    db = Database(f"sqlite:///{tmp / 'sopflow.sqlite3'}")
    db.upgrade()
    settings = Settings(database_url=db.url, data_dir=tmp / "data")
    engine = Engine(db, settings)
    script = load_script(SCRIPT)
    engine.publish_process(PROJECT_ROOT / script["process_file"], "sistem", "versi uji")
    ensure_users(engine, script)
    with db.unit_of_work() as session:
        add_user(session, "orang_luar", DEMO_PASSWORD, lanes=["Bagian Umum"], units=[], roles=["aktor"])
    data = json.loads((SAMPLES / "indikator_2026.json").read_text(encoding="utf-8"))
    start = {k: data[k] for k in ("indikator", "kegiatan")}
    case_x = engine.start_instance(StartInstance("monev_kinerja", "sekretaris", "2026-TW3", start)).case_id
    play_steps(engine, case_x, "langkah02_pengumpulan_data")
    case_y = engine.start_instance(StartInstance("monev_kinerja", "sekretaris", "2026-TW2", start)).case_id
    with db.reading() as session:
        tasks = {t["unit"]: t["task_id"] for t in inbox.tasks_of_case(session, case_x) if t["state"] == "ready"}
        docs = {(d["meta"] or {}).get("bidang"): d["id"] for d in inbox.documents_of_case(session, case_x)}
    with db.unit_of_work() as session:
        bearer = {role: tokens.issue_token(session, role) for role in ROLES}
    app = create_app({"TESTING": True, "SOPFLOW_SETTINGS": settings, "SOPFLOW_CLOCK": Clock()})
    world = {
        "app": app,
        "engine": engine,
        "bearer": bearer,
        "objects": {
            "case X": case_x,
            "case Y": case_y,
            "task A": tasks[IKP],
            "task B": tasks[APTIKA],
            "doc A": docs[IKP],
            "doc B": docs[APTIKA],
        },
        "clients": {},
    }
    yield world
    app.extensions["sopflow"].db.dispose()
    db.dispose()


def signed_in(world: dict[str, Any], role: str) -> tuple[FlaskClient, str]:
    """A client signed in as ``role`` through /masuk, and its CSRF token (one sign-in per role and module)."""
    if role not in world["clients"]:
        client = world["app"].test_client()
        _sign_in(client, role)
        world["clients"][role] = [client, csrf_token(client, "/kasus")]
    return tuple(world["clients"][role])  # type: ignore[return-value]


def _sign_in(client: FlaskClient, role: str) -> None:
    form = {"username": role, "password": DEMO_PASSWORD, "csrf_token": csrf_token(client)}
    assert client.post("/masuk", data=form).status_code == 302


def routes(app: Any) -> dict[str, Any]:
    """``{"METHOD /rule": rule}`` of every route of the app."""
    return {
        f"{method} {rule.rule}": rule
        for rule in app.url_map.iter_rules()
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    }


def url_for_cell(world: dict[str, Any], rule: Any, target: str) -> str:
    objects, kinds = world["objects"], TARGETS[target]
    values = {
        "case_id": objects[kinds["doc"] if "doc_id" in rule.arguments else kinds["case"]],
        "task_id": objects[kinds["task"]],
        "doc_id": objects[kinds["doc"]],
        "process_id": "monev_kinerja",
        "job_id": "tidak-ada",
        "token_id": "999999",
        "seq": 1,
        "field": "lembar_isian",
        "filename": "favicon.svg",
        "_rest": "tidak-ada",
    }
    if "doc_id" in rule.arguments:
        values["case_id"] = objects["case X"]  # both documents are of case X
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[\w]+:)?{name}>", str(values[name]), path)
    return path


def request(world: dict[str, Any], role: str, key: str, rule: Any, target: str) -> int:
    method, _ = key.split(" ", 1)
    client, token = signed_in(world, role)
    path = url_for_cell(world, rule, target)
    if path.startswith("/api/"):
        headers = {"Authorization": f"Bearer {world['bearer'][role]}"}
        if method == "GET":
            return client.get(path, headers=headers).status_code
        return client.open(path, method=method, headers=headers, json={}).status_code
    if method == "GET":
        return client.get(path).status_code
    form = {"csrf_token": token}
    if key == "POST /masuk":
        form |= {"username": role, "password": DEMO_PASSWORD}
    status = client.post(path, data=form).status_code
    if key in ("POST /masuk", "POST /keluar"):  # the session changed: sign in again, new CSRF token
        if key == "POST /keluar":
            _sign_in(client, role)
        world["clients"][role][1] = csrf_token(client, "/kasus")
    return status


def test_every_route_has_an_entry(world: dict[str, Any]) -> None:
    """A new route must say who may use it: add it to EXPECT."""
    assert sorted(set(routes(world["app"])) - set(EXPECT)) == []
    assert sorted(set(EXPECT) - set(routes(world["app"]))) == []


@pytest.mark.parametrize("role", ROLES)
def test_matrix(world: dict[str, Any], role: str) -> None:
    """Each route answers the role the expected status, for its own and the other case's objects."""
    wrong = []
    for key, rule in routes(world["app"]).items():
        if key not in EXPECT:
            continue  # reported by test_every_route_has_an_entry
        about_objects = {"case_id", "task_id", "doc_id"} & set(rule.arguments)
        for target in TARGETS if about_objects else ("own",):
            expected = EXPECT[key](role, target)
            got = request(world, role, key, rule, target)
            if got != expected:
                wrong.append(f"{key} [{target}]: expected {expected}, got {got}")
    assert wrong == []


def test_rules_are_not_all_alike() -> None:
    """The table itself: a case route is 404 for someone and 200 for someone else (so cells can fail)."""
    cells = {EXPECT["GET /kasus/<case_id>"](role, target) for role in ROLES for target in TARGETS}
    assert cells == {200, 404}


def test_lists_show_only_the_visible_cases(world: dict[str, Any]) -> None:
    """/kasus and GET /api/v1/cases list exactly the cases of VISIBLE, role by role."""
    objects = world["objects"]
    for role in ROLES:
        client, _ = signed_in(world, role)
        expected = {objects[name] for name in ("case X", "case Y") if role in VISIBLE[name]}
        page = client.get("/kasus").get_data(as_text=True)
        listed = {objects[name] for name in ("case X", "case Y") if f'data-case-id="{objects[name]}"' in page}
        api = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {world['bearer'][role]}"})
        assert (role, listed) == (role, expected)
        assert (role, {c["case_id"] for c in api.get_json()["cases"]}) == (role, expected)


def test_a_kepala_bidang_sees_only_the_parts_of_their_bidang(world: dict[str, Any]) -> None:
    """Case page, API case and task page of kabid_ikp: Bidang A's tasks and documents, not Bidang B's."""
    objects = world["objects"]
    case_x, doc_a, doc_b = objects["case X"], objects["doc A"], objects["doc B"]
    client, _ = signed_in(world, "kabid_ikp")
    headers = {"Authorization": f"Bearer {world['bearer']['kabid_ikp']}"}
    body = client.get(f"/api/v1/cases/{case_x}", headers=headers).get_json()
    assert {t["unit"] for t in body["tasks"]} == {None, IKP}  # the Sekretaris' lane-wide steps and their own
    assert [d["id"] for d in body["documents"]] == [doc_a]
    page = client.get(f"/kasus/{case_x}").get_data(as_text=True)
    assert f'data-doc-id="{doc_a}"' in page and f'data-doc-id="{doc_b}"' not in page
    assert 'id="diagram"' in page  # the diagram still shows the whole process
    task = client.get(f"/api/v1/tasks/{objects['task A']}", headers=headers).get_json()
    assert [d["id"] for d in task["documents"]] == [doc_a]
    task_page = client.get(f"/tugas/{objects['task A']}").get_data(as_text=True)
    assert f"/dokumen/{case_x}/{doc_a}" in task_page and f"/dokumen/{case_x}/{doc_b}" not in task_page
    # a lane of sopflow.lihat_semua_kasus sees every Bidang's part
    kadis = {"Authorization": f"Bearer {world['bearer']['kadis']}"}
    whole = client.get(f"/api/v1/cases/{case_x}", headers=kadis).get_json()
    assert {d["id"] for d in whole["documents"]} >= {doc_a, doc_b} and len({t["unit"] for t in whole["tasks"]}) == 6
