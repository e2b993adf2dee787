"""The page helper (ugsdk-chat.js) in a real headless Chromium, through examples/webchat.

The page runs on a real socket against the sandbox served over HTTP and WebSocket, with
streams that end every two seconds (so the browser reconnects with ``Last-Event-ID`` during
the test). It checks that every message of the chat is on the page exactly once, in the
chat's order, on first load, after reconnects, after a reload and in a second chat; and that
quick replies, card buttons and forms work when clicked. The same again with the helper's
long polls (``GET events?after=``) in place of the stream.
"""

from __future__ import annotations

from typing import Any, Iterator, List, Tuple

import pytest

pytest.importorskip("aiohttp")
pytest.importorskip("flask")

from test_webchat_browser import WAIT, browser, served_example  # noqa: E402,F401  (the browser fixture)
from ugsdk.sandbox import Sandbox  # noqa: E402
from ugsdk.sandbox.script import GREETING  # noqa: E402
from ugsdk.sandbox.server import SandboxServer  # noqa: E402


@pytest.fixture
def page(no_ugsdk_env: None) -> Iterator[Tuple[str, SandboxServer]]:
    with served_example("webchat_app_helper", UGSDK_SSE_MAX_SECONDS=2.0) as served:
        yield served


def shown(driver: Any) -> List[Tuple[str, str]]:
    """The page's messages: ``($sid, text)`` of every item that is a message, in order."""
    items = driver.execute_script(
        "return Array.from(document.querySelectorAll('#messages li[data-sid]'))"
        ".map((li) => [li.dataset.sid, li.innerText]);")
    return [(sid, text) for sid, text in items]


def chat_messages(sandbox: Sandbox, chat_id: int) -> List[str]:
    return [m.sid for m in sandbox.messages(chat_id)]


def exactly_once(driver: Any, sandbox: Sandbox, chat_id: int) -> bool:
    """Every message of the chat on the page, once each, in the chat's order."""
    return [sid for sid, _ in shown(driver)] == chat_messages(sandbox, chat_id)


@pytest.mark.parametrize("follow", ["stream", "poll"])
def test_each_message_once_through_reconnects_a_reload_and_a_second_chat(browser: Any, page: Tuple[str, SandboxServer],  # noqa: F811
                                                                         follow: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    url, server = page
    sandbox: Sandbox = server.sandbox
    wait = WebDriverWait(browser, WAIT)

    def text() -> str:
        return str(browser.find_element("id", "messages").text)

    browser.get(url + ("/?poll" if follow == "poll" else "/"))
    wait.until(lambda d: d.find_element("css selector", "button.menu[data-menu-id='11']")).click()
    wait.until(lambda d: GREETING in text())
    (first,) = sandbox.chats

    # A hello gets quick replies; clicking one answers with its title.
    browser.find_element("id", "text").send_keys("hello")
    browser.find_element("id", "send").click()
    quick = wait.until(lambda d: d.find_elements("css selector", ".quick-replies button"))
    next(b for b in quick if b.text == "Track my order").click()
    # The answer about orders comes with a card; its auto-reply button answers too, and its
    # other button is a link to the card's page.
    card = wait.until(lambda d: d.find_element("css selector", ".card"))
    assert "Track a parcel" in card.text
    link = card.find_element("css selector", "a.card-button")
    assert link.get_attribute("href") == "https://help.sandbox.invalid/tracking" and link.get_attribute("target") == "_blank"
    card.find_element("css selector", "button.card-button").click()
    wait.until(lambda d: "find a member of our team" in text())

    # A human agent sends a form: the page links to it.
    sandbox.assign_agent(first)
    sandbox.send_form(first, "address", title="Your address", preview_endpoint="https://forms.sandbox.invalid/address")
    form = wait.until(lambda d: d.find_element("css selector", "a.form-link"))
    assert form.get_attribute("href") == "https://forms.sandbox.invalid/address"
    sandbox.agent_reply(first, "Dana here: thanks, I have your order.")
    wait.until(lambda d: "Dana here" in text())
    # Streams end every 2 s and the browser resumes them: still each message once.
    wait.until(lambda d: exactly_once(d, sandbox, first))
    before_reload = shown(browser)
    assert [t for _, t in before_reload].count(GREETING) == 1

    # A reload: a new page, a new stream from the chat's start; the same messages, once.
    browser.refresh()
    wait.until(lambda d: d.find_element("tag name", "body").get_attribute("data-ready") == "1")
    wait.until(lambda d: exactly_once(d, sandbox, first))
    assert shown(browser) == before_reload
    sandbox.agent_reply(first, "Anything else?")
    wait.until(lambda d: "Anything else?" in text())
    wait.until(lambda d: exactly_once(d, sandbox, first))

    # The end, then a second chat from the same page: only its own messages, once each.
    browser.find_element("id", "finish").click()
    wait.until(lambda d: "Chat ended" in text())
    wait.until(lambda d: d.find_element("id", "new-chat").is_displayed())
    browser.find_element("id", "new-chat").click()
    wait.until(lambda d: d.find_element("css selector", "button.menu[data-menu-id='11']")).click()
    wait.until(lambda d: len(sandbox.chats) == 2)
    second = max(sandbox.chats)
    wait.until(lambda d: f"Chat {second}" in d.find_element("id", "status").text)
    wait.until(lambda d: GREETING in text())
    browser.find_element("id", "text").send_keys("where is my parcel?")
    browser.find_element("id", "send").click()
    wait.until(lambda d: "What is your order number?" in text())
    wait.until(lambda d: exactly_once(d, sandbox, second))
    assert "Dana here" not in text()

    # And a reload in the second chat.
    browser.refresh()
    wait.until(lambda d: d.find_element("tag name", "body").get_attribute("data-ready") == "1")
    wait.until(lambda d: exactly_once(d, sandbox, second))
    assert [t for _, t in shown(browser)].count(GREETING) == 1
