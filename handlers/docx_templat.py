"""Open a .docx template for docxtpl with its preparation done once per process, not on every render.

One job. On every render docxtpl re-reads the template file, rewrites each part's XML
with regular expressions (``patch_xml``) and compiles the result as a new Jinja template;
for the monev report that was about a third of the handler's time, the same work each
time. Here:

- the template's bytes are read once per process, cached by path and keyed by the file's
  mtime and size (a rebuilt template is read again);
- the patched XML and the compiled Jinja template are cached keyed by the XML they come
  from, so the same template part gives the same result by construction and a changed
  template can never be served stale;
- every render still gets a fresh python-docx ``Document`` parsed from the bytes: nothing
  that a render changes is shared.

All caches are safe for threads (a lock around the file cache; ``functools.lru_cache``
for the others, where two threads may at worst compute the same value once each).
The rendered document is exactly what :class:`docxtpl.DocxTemplate` would give.
"""

from __future__ import annotations

import functools
import io
import threading
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import Environment, Template

_FILES: dict[Path, tuple[tuple[int, int], bytes]] = {}
_FILES_LOCK = threading.Lock()
_CACHED_PARTS = 32  # patched/compiled template parts kept (a report has a body, headers and footers)


def file_bytes(path: Path) -> bytes:
    """Return the bytes of ``path``, read once per process while its mtime and size stay the same."""
    stat = path.stat()
    key = (stat.st_mtime_ns, stat.st_size)
    with _FILES_LOCK:
        cached = _FILES.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
    data = path.read_bytes()
    with _FILES_LOCK:
        _FILES[path] = (key, data)
    return data


class CompilingOnceEnvironment(Environment):
    """A Jinja environment whose ``from_string`` compiles each distinct source once per process."""

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Template:
        """Return the compiled template of ``source`` (cached when no globals or class are given)."""
        if globals is None and template_class is None and isinstance(source, str):
            return _compiled(self, source)
        return super().from_string(source, globals, template_class)


@functools.lru_cache(maxsize=_CACHED_PARTS)
def _compiled(environment: CompilingOnceEnvironment, source: str) -> Template:
    return Environment.from_string(environment, source)


#: The environment of every render: autoescaped (user text such as "<padam>" stays text).
JINJA = CompilingOnceEnvironment(autoescape=True)


class PreparedDocxTemplate(DocxTemplate):
    """A :class:`DocxTemplate` whose XML patching is cached; render it with ``jinja_env=JINJA``."""

    def patch_xml(self, src_xml: str) -> str:
        """Return docxtpl's patched XML of ``src_xml``, computed once per distinct part."""
        return _patched(src_xml)


@functools.lru_cache(maxsize=_CACHED_PARTS)
def _patched(src_xml: str) -> str:
    result: str = DocxTemplate.patch_xml(_PATCHER, src_xml)
    return result


_PATCHER = DocxTemplate(io.BytesIO())  # patch_xml uses no state of its template; never loaded


def open_template(path: Path) -> PreparedDocxTemplate:
    """Return a template ready to render (``tpl.render(context, jinja_env=JINJA)``), from cached bytes."""
    return PreparedDocxTemplate(io.BytesIO(file_bytes(path)))
