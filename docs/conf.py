"""Sphinx configuration of ugsdk's documentation.

Built in CI with ``sphinx-build -W -n`` (every warning an error, every reference checked).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))

import ugsdk  # noqa: E402  (after the path is set, so a checkout documents itself)

project = "ugsdk"
author = "the ugsdk authors"
copyright = "2026, the ugsdk authors"
release = ugsdk.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "ugsdk_docs",
]
exclude_patterns = ["_build"]
root_doc = "index"
html_theme = "alabaster"
# Flags such as --host must read as typed, not with an en dash.
smartquotes = False
html_static_path: list = []
html_title = f"ugsdk {release}"

# The reference documents the names users import (ugsdk.Client), not where they live.
add_module_names = False
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_default_options: dict = {}
autodoc_preserve_defaults = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

nitpicky = True
# Names outside this project: the standard library's and our dependencies' types. The docs
# build offline (no intersphinx inventories), so those links cannot be checked; every
# reference to ugsdk's own names is.
nitpick_ignore_regex = [
    (r"py:.*", r"(typing|typing_extensions|collections\.abc|datetime|enum|pathlib|os|io|ssl|socket|logging|threading|queue|selectors|concurrent\.futures|types|decimal|uuid|http|email|json|argparse|contextlib|asyncio)(\..*)?"),
    (r"py:.*", r"(requests|urllib3|attrs|attr|cattrs|websocket|jwt|redis|django|flask|werkzeug|aiohttp|opentelemetry|pytest|_pytest|vcr)(\..*)?"),
    (r"py:.*", r"(timedelta|datetime|date|time|tzinfo|Path|PathLike|SSLContext|TracerProvider|trace\..*|Session|Enum)"),
    (r"py:.*", r"(Any|Optional|Union|Callable|Iterator|Iterable|Mapping|Sequence|Dict|List|Tuple|Set|Type|TypeVar|Literal|Awaitable|AsyncIterator|Generator|NoReturn|Protocol|IO|BinaryIO|TextIO|Pattern|Match|ClassVar|Final|MutableMapping|FrozenSet|Hashable|Collection|ContextManager)"),
    (r"py:.*", r"(None|NoneType|int|float|str|bytes|bool|dict|list|tuple|set|frozenset|object|type|Exception|BaseException|ValueError|TypeError|KeyError|OSError|RuntimeError|LookupError|ConnectionError|TimeoutError|Ellipsis|bytearray|memoryview|callable|property|classmethod|staticmethod|BufferError|NotImplementedError)"),
]

# Internal names that public docstrings mention in passing (type variables, private helpers,
# the cassette file format's modules): not part of the reference, so not linkable.
nitpick_ignore_regex += [
    (r"py:.*", r"ugsdk(\..+)?\.[A-Z]"),  # type variables such as ugsdk.client.F
    (r"py:.*", r"(.*\.)?_[A-Za-z].*"),  # private names
    (r"py:.*", r"ugsdk\.transports\.cassette(\..*)?|MATCH_FIELDS|_Tape|EventLog"),
    (r"py:.*", r"ugsdk\.dispatch(\..*)?|Dispatcher|EventPump\.(start|stop)"),
    (r"py:.*", r"EventPump\..*|PumpDriver|ReaderThread"),
    (r"py:.*", r"Authenticate|ugsdk\.client\.RawResponses|Fault|ugsdk\.models\.chats\.TranscriptEntry"),
]
