"""Cassettes: the file format, the secret scrubber, request matching, and vcrpy reading.

One module per job, each importing only the ones before it:

- :mod:`~ugsdk.transports.cassette.records`: what a cassette holds, and how requests and
  responses are written down;
- :mod:`~ugsdk.transports.cassette.scrub`: secrets replaced by placeholders;
- :mod:`~ugsdk.transports.cassette.match`: which recording a request plays, and "closest
  match" messages when none does;
- :mod:`~ugsdk.transports.cassette.vcrpy`: cassettes written by vcrpy, read for replay;
- :mod:`~ugsdk.transports.cassette.check`: a loaded cassette checked before use, so a
  damaged file is one ``CassetteError`` naming the file and the place;
- :mod:`~ugsdk.transports.cassette.format`: the versioned file, read (safely, with a size
  cap and limits on YAML aliases) and written.

A cassette is one JSON document, pretty-printed with sorted keys so that a re-recording
reads as a small diff::

    {
      "ugsdk_cassette": 1,
      "recorded_at": "2024-05-31T10:00:00+00:00",
      "recorded_with": "ugsdk/0.1.0",
      "http": [
        {"request": {"method": "POST", "url": "https://.../api/v2/auth/end_user",
                     "route": "auth_exchange", "query": [], "headers": {...},
                     "json": {"token": "<JWT>"}},
         "response": {"status": 200, "headers": {...},
                      "json": {"expires_in": 3600, "token": "<END_USER_TOKEN>"}}},
        ...
      ],
      "events": [
        {"request": {"method": "GET", "url": ".../chats/1001/events", "query": [["after", "0"]], ...},
         "opened_after_http": 2,
         "frames": [{"after_http": 2, "frame": {"seq": 1, "event": "chat.message", "data": {...}}}],
         "close": {"after_http": 9, "by": "server", "code": 1000, "reason": "chat ended", "message": "..."}}
      ]
    }

``after_http`` counts the HTTP interactions started before a frame arrived; on replay a frame
is handed out only once that many interactions have been played, so events keep their place
relative to the calls around them.

Everything that is written goes through :meth:`Scrubber.scrub` (see there for what it removes),
and so does every live request before it is compared with a recorded one, so a request
carrying a fresh JWT still matches the recorded ``<JWT>``.
"""

from .format import FORMAT_VERSION, MAX_CASSETTE_BYTES, load_cassette, save_cassette
from .match import DEFAULT_IGNORE, DEFAULT_MATCH_ON, MATCH_FIELDS, STREAM_FIELDS, Matcher, differences, summary
from .records import (
    SMALL_FILE,
    CassetteData,
    HttpRecord,
    StreamRecord,
    body_bytes,
    body_fields,
    body_kind,
    decode_response,
    describe_file,
    encode_request,
    encode_response,
    is_auth_exchange,
)
from .scrub import JWT_PATTERN, Scrubber
from .vcrpy import date_header, multipart_fields, read_vcr, split_url

__all__ = [
    "FORMAT_VERSION",
    "MAX_CASSETTE_BYTES",
    "MATCH_FIELDS",
    "DEFAULT_MATCH_ON",
    "DEFAULT_IGNORE",
    "STREAM_FIELDS",
    "JWT_PATTERN",
    "SMALL_FILE",
    "HttpRecord",
    "StreamRecord",
    "CassetteData",
    "Scrubber",
    "Matcher",
    "encode_request",
    "encode_response",
    "decode_response",
    "describe_file",
    "body_fields",
    "body_bytes",
    "body_kind",
    "is_auth_exchange",
    "differences",
    "summary",
    "load_cassette",
    "save_cassette",
    "read_vcr",
    "multipart_fields",
    "date_header",
    "split_url",
]
