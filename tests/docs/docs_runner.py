"""Runs the Python examples of one reStructuredText file against the sandbox, in its own process.

``python docs_runner.py FILE.rst`` prints one JSON line per ``.. code-block:: python`` block:
``{"line", "section", "ok", "error"}``. A process per file, because an example may configure
Django, which a process can do once.

The convention the examples are run under (documented in ``test_readme_examples.py``):

- Blocks run in order; each section (a titled part of the file) starts a fresh namespace
  holding the names examples may use without defining them: ``COMPANY_SECRET`` (the
  sandbox's), ``user`` (``id``, ``pk``, ``email``, ``get_full_name()``), ``user_id``,
  ``auth_service`` (``jwt_for(user_id)``), ``log`` and ``client`` (a client of the sandbox).
- A sandbox server runs for the whole file and the environment names it
  (``UGSDK_COMPANY_ID``, ``UGSDK_HOST``, ``UGSDK_COMPANY_SECRET``). ``ugsdk.Client`` made
  for any other host or tenant talks to it instead, as the sandbox's company; event loops
  (``client.events(timeout=...)``) wait at most two seconds.
- A block whose first line is ``# name.py`` is that file: it is written to a temporary
  folder on ``sys.path``. ``# settings.py`` also configures Django from it (with an
  in-memory database, migrated); ``# test_*.py`` is run there with pytest
  (``--ugsdk-record=once``, as the README says to start).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

EVENTS_CAP = 2.0
_BLOCK = re.compile(r"^\.\. code-block:: python\s*$")
_TITLE_RULE = re.compile(r"^([=\-~^\"'`#*+])\1{2,}\s*$")


def python_blocks(text: str) -> Iterator[Tuple[int, str, str]]:
    """``(line number, section title, code)`` of each python code block."""
    lines = text.splitlines()
    section = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and line.strip() and _TITLE_RULE.match(lines[i + 1]) and len(lines[i + 1].strip()) >= len(line.strip()):
            section = line.strip()
        if _BLOCK.match(line):
            start = i + 1
            body: List[str] = []
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or lines[j].startswith((" ", "\t"))):
                body.append(lines[j])
                j += 1
            indents = [len(b) - len(b.lstrip()) for b in body if b.strip()]
            cut = min(indents) if indents else 0
            code = "\n".join(b[cut:] for b in body).strip("\n") + "\n"
            yield i + 1, section, code  # the directive's line
            i = j
            continue
        i += 1


class User:
    id = 42
    pk = 42
    email = "ada@example.com"

    def get_full_name(self) -> str:
        return "Ada Lovelace"


def main(path: str) -> int:
    import ugsdk
    from ugsdk.sandbox import Sandbox
    from ugsdk.sandbox.server import serve

    text = Path(path).read_text(encoding="utf-8")
    folder = tempfile.mkdtemp(prefix="ugsdk-docs-")
    sys.path.insert(0, folder)
    os.chdir(folder)
    server = serve(Sandbox())
    sandbox = server.sandbox
    os.environ.update(UGSDK_COMPANY_ID=sandbox.company_id, UGSDK_HOST=server.url, UGSDK_COMPANY_SECRET=sandbox.company_secret)
    for name in ("UGSDK_TENANT", "UGSDK_IDENTIFIER", "UGSDK_NAME", "UGSDK_EMAIL"):
        os.environ.pop(name, None)

    real_client = ugsdk.Client

    class SandboxClient(real_client):  # type: ignore[misc,valid-type]
        """A client that talks to the sandbox server whatever host or tenant it was given."""

        def __init__(self, company_id: str, *, host: Optional[str] = None, tenant: Optional[str] = None, **options: Any) -> None:
            if options.get("transport") is None and not (host or "").startswith("http://127.0.0.1"):
                company_id, host, tenant = sandbox.company_id, server.url, None
            options.setdefault("store", ugsdk.MemoryChatStore())
            super().__init__(company_id, host=host, tenant=tenant, **options)

        def events(self, timeout: Optional[float] = None) -> Any:
            return super().events(EVENTS_CAP if timeout is None else min(timeout, EVENTS_CAP))

    ugsdk.Client = SandboxClient  # type: ignore[misc]

    class AuthService:
        def jwt_for(self, user_id: str) -> str:
            return ugsdk.JWTSigner(sandbox.company_secret, identifier=str(user_id)).sign()

    def fresh_namespace() -> Dict[str, Any]:
        return {
            "__name__": "__docs__",
            "COMPANY_SECRET": sandbox.company_secret,
            "user": User(),
            "user_id": "42",
            "auth_service": AuthService(),
            "log": logging.getLogger("docs"),
            "client": SandboxClient(sandbox.company_id, host=server.url,
                                    authenticate=ugsdk.JWTSigner(sandbox.company_secret, identifier="docs-user")),
        }

    namespace: Dict[str, Any] = {}
    current_section: Optional[str] = None
    results = []
    for line, section, code in python_blocks(text):
        if section != current_section:
            namespace, current_section = fresh_namespace(), section
        first = code.splitlines()[0].strip() if code.strip() else ""
        error = None
        output = io.StringIO()
        try:
            with contextlib.redirect_stdout(output):
                file_name = re.fullmatch(r"#\s*([\w.]+\.py)", first)
                if file_name:
                    run_file(folder, file_name.group(1), code)
                else:
                    exec(compile(code, f"{Path(path).name}:{line}", "exec", dont_inherit=True), namespace)
        except BaseException as exc:  # report every failure, go on with the next block
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            tb = traceback.extract_tb(exc.__traceback__)
            where = [frame.lineno for frame in tb if frame.filename.startswith(Path(path).name)]
            if where:
                error += f" (line {where[-1]} of the block)"
        results.append({"line": line, "section": section, "ok": error is None, "error": error})
    server.close()
    for result in results:
        print(json.dumps(result))
    return 0


def run_file(folder: str, name: str, code: str) -> None:
    Path(folder, name).write_text(code, encoding="utf-8")
    if name == "settings.py":
        import django
        from django.core.management import call_command

        os.environ["DJANGO_SETTINGS_MODULE"] = "settings"
        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
    elif name.startswith("test_"):
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--ugsdk-record=once", name],
            cwd=folder, capture_output=True, text=True, timeout=300,
        )
        if done.returncode != 0:
            raise AssertionError(f"pytest {name} failed:\n{done.stdout[-2000:]}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
