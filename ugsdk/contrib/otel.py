"""OpenTelemetry tracing for a client (``pip install ugsdk[otel]``).

::

    from ugsdk.contrib.otel import instrument

    client = instrument(ugsdk.Client(...))

Each call becomes one CLIENT span, named ``{method} {path template}`` (``POST
/api/v2/chats/{chat_id}/messages``), with the HTTP semantic-convention attributes
(``http.request.method``, ``url.full``, ``url.template``, ``server.address``,
``server.port``, ``http.response.status_code``, ``error.type``) and ``ugsdk.route``. Retries
are span events (``retry``) on that span, and every attempt carries the W3C
``traceparent`` of the span, so the service's traces join yours. Each frame of a live events
stream becomes a CONSUMER span ``ugsdk.event {name}``.

Nothing else in ugsdk imports this module: a client that is not instrumented pays nothing,
and OpenTelemetry need not be installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional
from urllib.parse import urlsplit

try:
    from opentelemetry import propagate, trace
    from opentelemetry.trace import SpanKind, Status, StatusCode
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError("ugsdk.contrib.otel needs OpenTelemetry (ugsdk's 'otel' extra): pip install 'opentelemetry-api>=1.20'") from exc

import attrs

from .._version import __version__
from ..errors import APIError
from ..hooks import StreamFrame
from ..transports.base import Request, Response, scrub_secrets

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["instrument", "OpenTelemetryTracer"]

_SCOPE = "ugsdk"


class _CallSpan:
    """The span of one call, across its attempts."""

    __slots__ = ("_span", "_attempted")

    def __init__(self, span: "trace.Span") -> None:
        self._span = span
        self._attempted = False

    def request(self, request: Request, attempt: int) -> Request:
        span = self._span
        if not self._attempted:
            self._attempted = True
            parts = urlsplit(request.url)
            span.set_attribute("url.full", scrub_secrets(request.url))
            if parts.hostname:
                span.set_attribute("server.address", parts.hostname)
            span.set_attribute("server.port", parts.port or (443 if parts.scheme == "https" else 80))
        if attempt > 1:
            span.set_attribute("http.request.resend_count", attempt - 1)
        carrier: Dict[str, str] = {}
        propagate.inject(carrier, context=trace.set_span_in_context(span))
        if not carrier:
            return request
        headers = request.headers
        for name, value in carrier.items():
            headers = headers.with_header(name, value)
        return attrs.evolve(request, headers=headers)

    def retry(self, attempt: int, error: BaseException, delay: float) -> None:
        attributes: Dict[str, Any] = {
            "ugsdk.attempt": attempt,
            "ugsdk.retry.delay_s": delay,
            "error.type": type(error).__name__,
        }
        if isinstance(error, APIError):
            attributes["http.response.status_code"] = error.status
        self._span.add_event("retry", attributes)

    def end(self, response: Optional[Response], error: Optional[BaseException]) -> None:
        span = self._span
        if response is not None:
            span.set_attribute("http.response.status_code", response.status)
        if error is not None:
            if isinstance(error, APIError):
                span.set_attribute("http.response.status_code", error.status)
                span.set_attribute("error.type", str(error.status))
            else:
                span.set_attribute("error.type", type(error).__qualname__)
            span.set_status(Status(StatusCode.ERROR, scrub_secrets(str(error))[:200]))
        span.end()


class OpenTelemetryTracer:
    """Makes the spans of one client (see the module's description).

    Args:
        tracer_provider: the provider to use (default: the global one).
    """

    def __init__(self, tracer_provider: Optional["trace.TracerProvider"] = None) -> None:
        self._tracer = trace.get_tracer(_SCOPE, __version__, tracer_provider=tracer_provider)

    def start_call(self, route: str, method: str, template: str) -> _CallSpan:
        """The span of one call."""
        span = self._tracer.start_span(
            f"{method} {template}",
            kind=SpanKind.CLIENT,
            attributes={"http.request.method": method, "url.template": template, "ugsdk.route": route},
        )
        return _CallSpan(span)

    def event(self, frame: StreamFrame) -> None:
        """One span for one live event frame."""
        decoded = frame.json()
        name = decoded.get("event") if isinstance(decoded, dict) else None
        attributes: Dict[str, Any] = {"ugsdk.chat_id": frame.chat_id, "messaging.system": "ugsdk"}
        if isinstance(decoded, dict) and isinstance(decoded.get("seq"), int):
            attributes["ugsdk.event.seq"] = decoded["seq"]
        if isinstance(name, str):
            attributes["ugsdk.event.name"] = name
        span = self._tracer.start_span(f"ugsdk.event {name or 'frame'}", kind=SpanKind.CONSUMER, attributes=attributes)
        span.end()


def instrument(client: "Client", *, tracer_provider: Optional["trace.TracerProvider"] = None) -> "Client":
    """Trace every call and live event of ``client`` (and of its ``with_options`` views).

    Args:
        client: the client to instrument.
        tracer_provider: the provider to use (default: the global one).

    Returns:
        ``client`` itself.
    """
    client._requester.tracer = OpenTelemetryTracer(tracer_provider)
    return client
