"""One suite, every transport: the same calls give the same results and the same events.

Each scenario runs twice on identically seeded sandboxes: once through ``InMemoryTransport``
and once through ``HTTPTransport`` talking to the sandbox server over real loopback sockets.
Results are compared whole (as JSON values), so any difference a transport makes, in
encoding, headers, multipart, errors or event frames, shows up here.
"""

import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest

import ugsdk
from ugsdk.live import ReconnectPolicy
from ugsdk.sandbox import ManualClock, Sandbox
from ugsdk.serde import unstructure

# One start time for every sandbox of the run, a day ahead so booked slots are in the future.
START = (datetime.now(timezone.utc) + timedelta(days=1)).replace(minute=7, second=0, microsecond=0)
FAST = ReconnectPolicy(base=0.01, cap=0.05)

Rig = Tuple[ugsdk.Client, Sandbox]


def _memory_rig() -> Iterator[Rig]:
    sandbox = Sandbox(seed=7, clock=ManualClock(START))
    # The live-chat scenario compares whole event logs: replay each chat's history.
    client = ugsdk.Client.for_sandbox(sandbox, store=ugsdk.MemoryChatStore(), reconnect=FAST, replay_history=True)
    try:
        yield client, sandbox
    finally:
        client.destroy()


def _http_rig() -> Iterator[Rig]:
    from ugsdk.sandbox import serve

    sandbox = Sandbox(seed=7, clock=ManualClock(START))
    server = serve(sandbox, port=0)
    signer = ugsdk.JWTSigner(sandbox.company_secret, identifier="sandbox-user", clock=sandbox.clock.now)
    client = ugsdk.Client(
        sandbox.company_id, host=server.url, authenticate=signer, store=ugsdk.MemoryChatStore(), reconnect=FAST,
        replay_history=True,
    )
    try:
        yield client, sandbox
    finally:
        client.destroy()
        server.close()


RIGS: Dict[str, Callable[[], Iterator[Rig]]] = {"memory": _memory_rig, "http": _http_rig}


def run_on_every_transport(scenario: Callable[[ugsdk.Client, Sandbox], Any]) -> Dict[str, Any]:
    results = {}
    for name, rig in RIGS.items():
        for client, sandbox in rig():
            results[name] = scenario(client, sandbox)
    return results


def _json(value: Any) -> Any:
    return unstructure(value)


def every_method(client: ugsdk.Client, sandbox: Sandbox) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    out["company"] = _json(client.get_company())
    out["menus"] = _json(client.get_menus(lang="fr"))
    out["menus_vip"] = _json(client.get_menus("vip"))
    out["after_hours"] = client.get_after_hour_message(lang="es")
    out["waits"] = _json(client.get_wait_times(11))
    slots = client.get_time_slots(11)
    out["slots"] = [s.isoformat() for s in slots]
    out["trigger"] = _json(client.get_trigger("https://shop.sandbox.invalid/checkout", visit_count=2))
    out["file_types"] = _json(client.get_prohibited_file_types())
    call = client.create_call(menu_id=11, phone_number="+14155550123", scheduled_at=slots[3], email="ada@example.com")
    out["call"] = _json(call)
    out["call_loaded"] = _json(client.load_call(call.id))
    out["call_cancelled"] = _json(client.cancel_call(call.id))
    out["instant_call"] = _json(client.create_call(menu_id=2, phone_number="+14155550123", idempotency_key="k-1"))
    out["instant_call_again"] = _json(client.create_call(menu_id=2, phone_number="+14155550123", idempotency_key="k-1"))
    chat = client.create_chat(menu_id=11, custom_data={"unsigned": {"plan": {"label": "Plan", "value": "gold"}}})
    out["chat"] = _json(chat)
    out["deflection"] = _json(client.get_chat_deflection())
    out["sent"] = _json(client.send_text_message("Where is my parcel? ünïcødé"))
    out["file"] = _json(client.send_file_message(("photo.png", b"\x89PNG" + bytes(range(256)), "image/png")))
    out["escalated"] = _json(client.escalate_chat())
    sandbox.advance(60)
    sandbox.agent_reply(chat.id, "Hello from Dana")
    out["messages"] = _json(client.fetch_messages())
    out["messages_after_3"] = _json(client.fetch_messages(after=3))
    out["cobrowse"] = _json(client.start_cobrowse())
    out["code"] = _json(client.create_cobrowse_code())
    out["finished"] = _json(client.finish_chat())
    client.send_chat_transcripts(["ada@example.com", "bob@example.com"])
    client.send_chat_rate(rating=5, feedback="great")
    survey = client.get_chat_survey()
    out["survey"] = _json(survey)
    client.send_chat_survey({q.id: (q.valid_answers or ["fine"])[0] for q in survey.questions})
    view = sandbox.chats[chat.id]
    out["chat_state"] = (_json(view.chat), _json(view.rating), dict(view.survey_answers or {}), view.transcripts)
    out["chat_files"] = [(f.name, f.size, f.content_type, f.content) for f in view.files]
    email = client.create_email(
        menu_id=12, email="ada@example.com", content="Wrong size", name="Ada",
        files=[("a.txt", b"first file"), ("b.pdf", b"%PDF-1.4 second")],
    )
    out["email"] = _json(email)
    out["email_attachments"] = [(a.name, a.size, a.content) for a in sandbox.emails[email.id].attachments]
    plain = client.create_email(menu_id=12, email="ada@example.com", content="No files")
    out["email_plain"] = _json(plain)
    errors = []
    for attempt in (
        lambda: client.load_call(999999),
        lambda: client.resume_chat(chat.id),
        lambda: client.get_wait_times(424242),
        lambda: client.send_chat_rate(rating=4),
    ):
        try:
            attempt()
        except ugsdk.APIError as exc:
            errors.append((type(exc).__name__, exc.status, exc.message, exc.code))
    out["errors"] = errors
    client.destroy_chat()
    out["ongoing_after_destroy"] = client.load_ongoing_chat()
    return out


def test_every_method_gives_the_same_results_on_every_transport() -> None:
    results = run_on_every_transport(every_method)
    memory, http = results["memory"], results["http"]
    assert memory.keys() == http.keys()
    for key in memory:
        assert memory[key] == http[key], key
    # And the results are the real thing, not two identical failures.
    assert memory["company"]["name"] == "Sandbox Outfitters"
    assert memory["call_cancelled"]["status"] == "cancelled"
    assert memory["instant_call"] == memory["instant_call_again"]
    assert [m["$index"] for m in memory["messages"]] == list(range(1, len(memory["messages"]) + 1))
    assert memory["email_attachments"] == [("a.txt", 10, b"first file"), ("b.pdf", 15, b"%PDF-1.4 second")]
    assert [e[0] for e in memory["errors"]] == ["NotFoundError", "ConflictError", "NotFoundError", "ConflictError"]


def live_chat(client: ugsdk.Client, sandbox: Sandbox) -> List[Tuple[Any, str, Any]]:
    seen: List[Tuple[Any, str, Any]] = []
    ended = threading.Event()

    def record(event: ugsdk.Event) -> None:
        seen.append((event.seq, event.name, _json(event.data)))
        if event.name == "chat.ended":
            ended.set()

    client.on("*", record)
    chat = client.create_chat(menu_id=11)
    client.send_text_message("Hi there")
    client.send_text_message("I want a human agent")
    sandbox.advance(60)
    sandbox.agent_reply(chat.id, "Dana here, how can I help?")
    client.send_text_message("All good now, thanks")
    client.finish_chat()
    assert ended.wait(10), seen
    client.destroy_chat()
    return [item for item in seen if item[1] not in ("ready", "authenticated")]


def test_a_live_chat_gives_the_same_events_on_every_transport() -> None:
    results = run_on_every_transport(live_chat)
    memory, http = results["memory"], results["http"]
    assert memory == http
    names = [name for _, name, _ in memory]
    for expected in ("chat.connected", "chat.message", "chat.memberJoined", "chat.typingStarted", "chat.ended"):
        assert expected in names
    seqs = [seq for seq, _, _ in memory if seq is not None]
    assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.parametrize("kind", sorted(RIGS))
def test_one_client_shared_by_sixteen_threads(kind: str) -> None:
    for client, sandbox in RIGS[kind]():
        failures: List[BaseException] = []
        barrier = threading.Barrier(16)

        def work(i: int) -> None:
            try:
                barrier.wait(10)
                assert client.get_wait_times(11).chat >= 0
                call = client.create_call(menu_id=2, phone_number=f"+1415555{i:04d}")
                assert client.load_call(call.id).id == call.id
                assert client.get_company().name
            except BaseException as exc:  # collected and re-raised below
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert failures == []
        assert len(sandbox.calls) == 16
        exchanges = [r for r in sandbox.requests if r.route == "auth_exchange" or r.path.endswith("/auth/end_user")]
        assert len(exchanges) == 1
