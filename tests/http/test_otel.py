"""OpenTelemetry: one span per call named by its route template, retries as span events,
traceparent on every attempt, a span per live event; nothing imported when unused."""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import List

import pytest

import ugsdk
from ugsdk.sandbox import Sandbox
from ugsdk.transports import Request

from netkit import QUEUE_MENU, WAIT

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.trace import SpanKind, StatusCode  # noqa: E402

from ugsdk.contrib.otel import instrument  # noqa: E402


def test_spans_for_calls_retries_and_events() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    sandbox = Sandbox()
    sent: List[Request] = []
    policy = ugsdk.RetryPolicy(max_retries=2, sleep=lambda _: None)
    client = instrument(
        ugsdk.Client.for_sandbox(sandbox, store=ugsdk.MemoryChatStore(), max_retries=policy, event_hooks={"request": [sent.append]}), tracer_provider=provider
    )
    sandbox.fail_next("get_wait_times", 503, times=1)
    client.get_wait_times(11)
    with pytest.raises(ugsdk.NotFoundError):
        client.load_call(424242)
    delivered = threading.Event()
    client.on("chat.message", lambda _: delivered.set())
    chat = client.create_chat(menu_id=QUEUE_MENU)
    client.connect()
    sandbox.assign_agent(chat.id)
    sandbox.agent_reply(chat.id, "hi")
    assert delivered.wait(WAIT)
    client.destroy()
    provider.shutdown()

    spans = exporter.get_finished_spans()
    by_name = {s.name: s for s in spans}
    wait = by_name["GET /api/v2/menus/{menu_id}/wait_times"]
    assert wait.kind == SpanKind.CLIENT
    assert wait.attributes["http.request.method"] == "GET"
    assert wait.attributes["ugsdk.route"] == "get_wait_times"
    assert wait.attributes["http.response.status_code"] == 200
    assert wait.attributes["url.full"].endswith("/api/v2/menus/11/wait_times")
    assert wait.attributes["http.request.resend_count"] == 1
    assert [e.name for e in wait.events] == ["retry"]
    assert wait.events[0].attributes["http.response.status_code"] == 503
    failed = by_name["GET /api/v2/calls/{call_id}"]
    assert failed.status.status_code == StatusCode.ERROR and failed.attributes["error.type"] == "404"
    # Every attempt carried the span's trace context.
    traced = [r for r in sent if r.route == "get_wait_times"]
    assert len(traced) == 2
    trace_id = format(wait.context.trace_id, "032x")
    assert all(trace_id in (r.headers.get("traceparent") or "") for r in traced)
    events = [s for s in spans if s.name.startswith("ugsdk.event ")]
    assert any(s.name == "ugsdk.event chat.message" and s.kind == SpanKind.CONSUMER for s in events)
    assert all(s.attributes["ugsdk.chat_id"] == chat.id for s in events)


def test_opentelemetry_is_not_imported_unless_asked_for() -> None:
    script = (
        "import sys, ugsdk\n"
        "c = ugsdk.Client.for_sandbox()\n"
        "c.get_company(); c.destroy()\n"
        "print(any(m.startswith('opentelemetry') for m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
