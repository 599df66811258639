"""The OpenAPI 3.1 document of the REST API, generated from the views of :mod:`webapp.api` by spectree.

Why spectree (and not flask-openapi3 or flask-smorest): it decorates the existing Flask views of
the existing ``Blueprint``; flask-openapi3 would replace the blueprint with its ``APIBlueprint``
and flask-smorest with its own ``Blueprint`` and marshmallow schemas, and both take over request
parsing and its errors. With spectree the views, their status codes, the order of their checks
(token, then 403/404, then the body) and the API's own error body stay as they are.

spectree is used for the document only: :func:`documented` registers a view's declaration with
spectree but routes requests to the view itself, so spectree never parses or answers a request and
a malformed body still gets the API's 400/422 ``Error`` in Indonesian. The request models are the
ones the views parse bodies with (:func:`webapp.api_support.parse_body`), and every ``/api/v1``
response of the test suite is validated against this document (tests/api_contract.py),
so neither side can drift without a test failing.

Each view declares its operation with :func:`documented`: operation id, Indonesian summary, tags,
the success model and the error statuses (each with the ``Error`` body). What spectree has no
parameter for (response headers, OpenAPI links, the binary download, Indonesian summaries instead of
the English docstrings) is recorded by :func:`documented` too and added by :func:`openapi_document`.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

from spectree import Response, SpecTree
from spectree.models import SecureType, SecurityScheme, SecuritySchemeData, Server

from . import api_models as m

PREFIX = "/api/v1"
API_VERSION = "1.1.0"

spec = SpecTree(
    "flask",
    mode="strict",  # only the views decorated here; never the HTML pages
    title="sopflow API",
    version=API_VERSION,
    description="Menjalankan SOP sebagai proses BPMN: memulai kasus, kotak masuk tugas, klaim, unggah berkas dan "
    "penyelesaian tugas. Otorisasi sama dengan halaman web (lane, unit, peran). Setiap galat berbentuk Error. "
    "Waktu dalam UTC (ISO 8601, akhiran Z).",
    servers=[Server(url=PREFIX)],
    security_schemes=[
        SecurityScheme(
            name="bearerAuth",
            data=SecuritySchemeData(
                type=SecureType.HTTP,
                scheme="bearer",
                description="Token API pengguna (sfw_...), dibuat oleh admin atau lewat "
                "`sopflow users token USER`; dikirim sebagai Authorization: Bearer <token>.",
            ),
        )
    ],
    security={"bearerAuth": []},
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
)

#: what each error status means on this API (the body is always ``Error``)
ERROR_DESCRIPTIONS = {
    400: "JSON rusak, bukan objek, terlalu dalam, atau parameter tidak sah.",
    401: "Token tidak ada, tidak sah, kedaluwarsa atau dicabut.",
    403: "Bukan lane/unit pengguna, peran tidak mencukupi, atau auditor yang mencoba mengubah.",
    404: "Kasus, tugas, dokumen, proses atau pengguna tidak ditemukan (atau tidak boleh dilihat).",
    409: "Tugas diklaim pengguna lain, sudah selesai/tidak aktif, kasus berubah bersamaan, atau periode sudah "
    "memiliki kasus.",
    413: "Permintaan atau berkas terlalu besar.",
    422: "Isian belum benar; error.fields memuat pesan per isian. Tidak ada yang disimpan.",
    429: "Terlalu banyak token yang salah dari alamat ini; coba lagi setelah Retry-After detik.",
    500: "Kesalahan server atau langkah mesin gagal.",
    503: "Basis data sedang tidak dapat dihubungi; coba lagi setelah Retry-After detik.",
}
_ERROR_HEADERS = {
    401: {"WWW-Authenticate": {"description": 'Bearer realm="sopflow"', "schema": {"type": "string"}}},
    405: {"Allow": {"description": "Metode yang didukung alamat ini.", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "Detik sampai boleh mencoba lagi.", "schema": {"type": "integer"}}},
    503: {"Retry-After": {"description": "Detik sampai boleh mencoba lagi.", "schema": {"type": "integer"}}},
}
#: every operation that needs a token may answer these (503: webapp.observability, the database is down)
AUTH_ERRORS = (401, 429, 500, 503)

_EXTRAS: dict[str, dict[str, Any]] = {}


def documented(
    operation_id: str,
    summary: str,
    tag: str,
    ok: tuple[int, Any, str],
    errors: tuple[int, ...] = (),
    *,
    query: Any = None,
    json: Any = None,
    form: Any = None,
    public: bool = False,
    headers: dict[str, dict[str, Any]] | None = None,
    links: dict[str, dict[str, Any]] | None = None,
    content: dict[str, Any] | None = None,
    description: str = "",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a view's operation in the OpenAPI document: its success ``ok = (status, model, description)``
    and the statuses in ``errors`` (each answering ``Error``; a token-protected one also 401/429/500).

    ``query``/``json``/``form`` are the pydantic models of the query string and bodies; ``headers`` and
    ``links`` go on the success response, ``content`` replaces its body (e.g. a binary download).
    """
    status, model, ok_description = ok
    statuses = sorted(set(errors) | (set() if public else set(AUTH_ERRORS)))
    codes: dict[str, Any] = {f"HTTP_{status}": (model, ok_description)}
    codes |= {f"HTTP_{code}": (m.Error, ERROR_DESCRIPTIONS[code]) for code in statuses}
    _EXTRAS[operation_id] = {
        "summary": summary,
        "description": description,
        "status": str(status),
        "headers": headers or {},
        "links": links or {},
        "content": content,
    }
    register = spec.validate(
        query=query,
        json=json,
        form=form,
        resp=Response(**codes),
        tags=(tag,),
        security={} if public else None,
        operation_id=operation_id,
        skip_validation=True,  # the views parse and answer themselves (see the module docstring)
        # spectree would add its own 422 model here; a status the view documents already keeps our Error
        validation_error_status=statuses[0] if statuses else status,
    )

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        # spectree's wrapper would still rebuild every response (and read a streamed download into
        # memory, which send_file's passthrough refuses); the route keeps the view itself, and spectree
        # finds its declaration through ``__wrapped__``.
        declared = register(view)

        @functools.wraps(view)
        def route(*args: Any, **kwargs: Any) -> Any:
            return view(*args, **kwargs)

        route.__wrapped__ = declared  # type: ignore[attr-defined]
        return route

    return decorate


def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI 3.1 document of the API (a fresh copy; needs an app context).

    spectree's paths carry the blueprint's prefix; here they are relative to the server ``/api/v1``.
    """
    generated = copy.deepcopy(spec.spec)
    paths: dict[str, Any] = {}
    for path, item in generated["paths"].items():
        for operation in item.values():
            _finish_operation(operation)
        paths[path.removeprefix(PREFIX) or "/"] = item
    generated["paths"] = dict(sorted(paths.items()))
    generated["tags"] = [
        {"name": "cases", "description": "Kasus (instans proses)."},
        {"name": "tasks", "description": "Tugas manusia."},
        {"name": "notifications", "description": "Notifikasi pengguna."},
        {"name": "meta", "description": "Dokumen API."},
    ]
    _drop_null_defaults(generated)
    return generated


def _finish_operation(operation: dict[str, Any]) -> None:
    extras = _EXTRAS[operation["operationId"]]
    operation["summary"] = extras["summary"]
    if extras["description"]:
        operation["description"] = extras["description"]
    else:
        operation.pop("description", None)  # spectree copies the English docstring: developer notes
    for parameter in operation.get("parameters", []):
        if not parameter.get("description"):
            parameter.pop("description", None)
    responses = operation["responses"]
    success = responses[extras["status"]]
    if extras["headers"]:
        success["headers"] = extras["headers"]
    if extras["links"]:
        success["links"] = extras["links"]
    if extras["content"] is not None:
        success["content"] = extras["content"]
    for code, headers in _ERROR_HEADERS.items():
        if str(code) in responses:
            responses[str(code)]["headers"] = headers


def _drop_null_defaults(node: Any) -> None:
    """Remove ``"default": null`` of optional query parameters and fields (pydantic writes it; it is no value)."""
    if isinstance(node, dict):
        if "default" in node and node["default"] is None:
            del node["default"]
        for value in node.values():
            _drop_null_defaults(value)
    elif isinstance(node, list):
        for value in node:
            _drop_null_defaults(value)


# -- what spectree has no parameter for: response headers, the binary download, links -----------------------
LOCATION = {"Location": {"description": "Alamat GET kasus.", "schema": {"type": "string"}}}
CONTENT_DISPOSITION = {"Content-Disposition": {"description": "Nama berkas.", "schema": {"type": "string"}}}
#: a document is sent with its own media type (xlsx, docx, pdf, json, ...)
BINARY = {"*/*": {"schema": {"type": "string", "format": "binary"}}}


def _link(operation_id: str, description: str, **parameters: str) -> dict[str, Any]:
    values = {name: f"$response.body{pointer}" for name, pointer in parameters.items()}
    return {"operationId": operation_id, "parameters": values, "description": description}


def links_to_task(pointer: str) -> dict[str, Any]:
    """Links from a response holding a task id at JSON ``pointer`` to the operations on that task."""
    return {
        "GetTask": _link("getTask", "Buka tugas ini.", task_id=pointer),
        "ClaimTask": _link("claimTask", "Klaim tugas ini.", task_id=pointer),
        "UnclaimTask": _link("unclaimTask", "Lepaskan klaim tugas ini.", task_id=pointer),
        "CompleteTask": _link("completeTask", "Selesaikan tugas ini.", task_id=pointer),
        "ReassignTask": _link("reassignTask", "Alihkan tugas ini.", task_id=pointer),
    }


def links_from_outcome(with_case: bool = True) -> dict[str, Any]:
    """Links from a case outcome (``POST /cases``, completion) to the case and its first open task."""
    found = {f"{name}FirstOpenTask": link for name, link in links_to_task("#/open_tasks/0/task_id").items()}
    found.pop("UnclaimTaskFirstOpenTask")
    return ({"GetCase": _link("getCase", "Buka kasus ini.", case_id="#/case_id")} if with_case else {}) | found


CASE_LINKS = {f"{name}FirstTask": link for name, link in links_to_task("#/tasks/0/task_id").items()} | {
    "DownloadFirstDocument": _link(
        "downloadDocument", "Unduh dokumen pertama kasus.", case_id="#/case_id", doc_id="#/documents/0/id"
    )
}
LIST_CASES_LINKS = {"GetFirstCase": _link("getCase", "Buka kasus pertama.", case_id="#/cases/0/case_id")}
