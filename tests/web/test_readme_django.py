"""The web guide's Django project (docs/howto/web.rst), as written, under runserver's own threaded server.

A child process writes the guide's ``settings.py``, ``urls.py`` and ``views.py``, migrates,
logs a user in and serves the project with the server class of ``manage.py runserver`` (a
thread per request, so an in-memory database would be empty in the request's thread) on a
free port, against the sandbox server. It then checks ``manage.py check`` has nothing to
say, and that a logged-in browser gets its token and starts a chat with the CSRF token while a
cross-site form is refused.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict

import pytest

pytest.importorskip("django")
pytest.importorskip("aiohttp")

README = Path(__file__).resolve().parents[2] / "docs" / "howto" / "web.rst"

CHILD = r'''
import io, json, os, sys, threading
from http.cookiejar import CookieJar

import requests

from ugsdk.sandbox import Sandbox
from ugsdk.sandbox.server import serve

server = serve(Sandbox())
box = server.sandbox
os.environ.update(UGSDK_COMPANY_ID=box.company_id, UGSDK_HOST=server.url, UGSDK_COMPANY_SECRET=box.company_secret)
os.environ["DJANGO_SETTINGS_MODULE"] = "settings"
sys.path.insert(0, os.getcwd())

import django
django.setup()
from django.core.management import call_command
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from django.core.wsgi import get_wsgi_application
from django.contrib.auth.models import User
from django.test import Client

call_command("migrate", verbosity=0, interactive=False)
out = io.StringIO()
call_command("check", stdout=out, stderr=out)
check = out.getvalue()
user = User.objects.create_user("ada", email="ada@example.com", first_name="Ada")
helper = Client()
helper.force_login(user)
session = helper.cookies["sessionid"].value

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

httpd = WSGIServer(("127.0.0.1", 0), Quiet, ipv6=False)
httpd.daemon_threads = True
httpd.set_app(get_wsgi_application())
threading.Thread(target=httpd.serve_forever, daemon=True).start()
url = "http://127.0.0.1:%d" % httpd.server_port

web = requests.Session()
web.cookies.set("sessionid", session)
results = {"check": check}
results["token"] = web.get(url + "/support/token", timeout=10).status_code
results["get_chat"] = web.get(url + "/support/chat", timeout=10).status_code
token = web.cookies.get("csrftoken")
results["csrf_cookie"] = bool(token)
results["forged"] = web.post(url + "/support/chat", data={"menu_id": "11"}, headers={"Origin": "https://evil.example"},
                             timeout=10).status_code
results["start"] = web.post(url + "/support/chat", json={"menu_id": 11}, timeout=10,
                            headers={"X-CSRFToken": token or "", "Origin": url}).status_code
results["script"] = web.get(url + "/support/ugsdk-chat.js", timeout=10).status_code
httpd.shutdown()
server.close()
print("RESULTS " + json.dumps(results))
'''


def readme_files() -> Dict[str, str]:
    text = README.read_text(encoding="utf-8")
    files: Dict[str, str] = {}
    for block in re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text):
        code = textwrap.dedent(block)
        first = code.lstrip().splitlines()[0].strip()
        match = re.fullmatch(r"#\s*(settings|urls|views)\.py", first)
        if match and f"{match.group(1)}.py" not in files:
            files[f"{match.group(1)}.py"] = code
    return files


def test_the_readme_django_project_runs_under_runserver(tmp_path: Path) -> None:
    files = readme_files()
    assert set(files) == {"settings.py", "urls.py", "views.py"}
    for name, code in files.items():
        (tmp_path / name).write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UGSDK_", "DJANGO_"))}
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    line = next((l for l in done.stdout.splitlines() if l.startswith("RESULTS ")), None)
    assert line is not None, done.stdout[-2000:] + done.stderr[-3000:]
    results = json.loads(line[len("RESULTS "):])
    assert "no issues" in results["check"], results["check"]
    assert results["token"] == 200 and results["get_chat"] == 200 and results["csrf_cookie"]
    assert results["forged"] == 403
    assert results["start"] == 201
    assert results["script"] == 200
