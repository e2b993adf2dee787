"""The example web chat page, driven end to end in a real headless Chromium.

The page (``examples/webchat``) runs on a real socket against the sandbox served over HTTP
and WebSocket; the test clicks and types as a visitor would, scripts a human agent through
the sandbox, and reads what the page shows. Skipped, saying why, only where no browser or
driver can be had (``.ci/run`` installs Debian's chromium and chromium-driver).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
from pathlib import Path
from typing import Any, Iterator, Optional, Tuple

import pytest

pytest.importorskip("aiohttp")
pytest.importorskip("flask")

from ugsdk.sandbox import Sandbox  # noqa: E402
from ugsdk.sandbox.server import SandboxServer, serve  # noqa: E402
from webtools import WSGIServer, chat_threads, wait_until  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "webchat" / "app.py"
WAIT = 20.0


def _binary(*names: str) -> Optional[str]:
    for name in names:
        found = shutil.which(name) or next((p for p in (f"/usr/bin/{name}", f"/usr/lib/chromium/{name}") if os.access(p, os.X_OK)), None)
        if found:
            return found
    return None


@pytest.fixture
def browser() -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (it is in the 'test' extra)")
    chrome = _binary("chromium", "chromium-browser", "google-chrome")
    driver_path = _binary("chromedriver", "chromium-driver")
    if chrome is None or driver_path is None:
        pytest.skip("no headless browser here: install Debian's chromium and chromium-driver (.ci/run does)")
    options = webdriver.ChromeOptions()
    options.binary_location = chrome
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--no-first-run", "--disable-extensions", "--window-size=1000,900"):
        options.add_argument(argument)
    service = webdriver.ChromeService(executable_path=driver_path)
    try:
        driver = webdriver.Chrome(options=options, service=service)
    except Exception as exc:  # a browser that cannot start here (no display libraries...)
        pytest.skip(f"headless Chromium could not start: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


@contextlib.contextmanager
def served_example(module_name: str, **settings: Any) -> Iterator[Tuple[str, SandboxServer]]:
    """examples/webchat on a threaded WSGI server, against a sandbox served on loopback:
    ``(the page's URL, the sandbox server)``. ``settings`` add to the app's config."""
    spec = importlib.util.spec_from_file_location(module_name, EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with serve(Sandbox()) as server:
        app = module.create_app({
            "UGSDK_COMPANY_ID": server.sandbox.company_id,
            "UGSDK_HOST": server.url,
            "UGSDK_COMPANY_SECRET": server.sandbox.company_secret,
            "UGSDK_SSE_HEARTBEAT": 1.0,
            **settings,
        })
        with WSGIServer(app) as web:
            yield web.url, server
        app.extensions["ugsdk"].web.close()


@pytest.fixture
def webchat(no_ugsdk_env: None) -> Iterator[Tuple[str, SandboxServer]]:
    with served_example("webchat_app") as served:
        yield served


def _page_text(driver: Any) -> str:
    return str(driver.find_element("id", "messages").text)


def test_a_visitor_chats_with_the_virtual_agent_then_a_human_until_the_end(browser: Any, webchat: tuple, tmp_path: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    url, server = webchat
    sandbox: Sandbox = server.sandbox
    wait = WebDriverWait(browser, WAIT)
    browser.get(url + "/")
    button = wait.until(lambda d: d.find_element("css selector", "button.menu[data-menu-id='11']"))
    button.click()

    # The virtual agent's greeting arrives through the event stream.
    wait.until(lambda d: "virtual assistant" in _page_text(d))
    (chat_id,) = sandbox.chats

    browser.find_element("id", "text").send_keys("Where is order 1234?")
    browser.find_element("id", "send").click()
    wait.until(lambda d: "Where is order 1234?" in _page_text(d))
    attachment = tmp_path / "receipt.txt"
    attachment.write_text("order 1234")
    browser.find_element("id", "file").send_keys(str(attachment))
    browser.find_element("id", "send-file").click()
    wait.until(lambda d: "[file] receipt.txt" in _page_text(d))

    # A human agent takes over and writes; the page shows the typing and the reply.
    sandbox.assign_agent(chat_id)
    sandbox.agent_reply(chat_id, "Hi, Dana here. Your parcel ships today.")
    wait.until(lambda d: "Dana here" in _page_text(d))

    # Dismissed, then resumed from the page.
    sandbox.dismiss_chat(chat_id)
    wait.until(lambda d: d.find_element("id", "resume").is_displayed())
    browser.find_element("id", "resume").click()
    wait.until(lambda d: not d.find_element("id", "resume").is_displayed())
    wait.until(lambda d: sandbox.chats[chat_id].status.value != "dismissed")

    # The agent ends the chat: the page says so and offers a rating.
    sandbox.assign_agent(chat_id)
    sandbox.end_chat(chat_id)
    wait.until(lambda d: "Chat ended" in _page_text(d))
    wait.until(lambda d: d.find_element("id", "rate-form").is_displayed())
    browser.find_element("id", "rate").click()
    wait.until(lambda d: "Thanks for your rating" in _page_text(d))
    assert sandbox.chats[chat_id].rating is not None
    # The stream of the ended chat left no thread behind.
    wait_until(lambda: chat_threads() == [], timeout=WAIT, message="the events threads to end")
