"""What one run of a command works with: its settings, its client, its output, its chat.

Each run of ``ugsdk`` is a new process, so the chat a command talks about comes from a chat
store file kept between runs (``--chat-store``, ``UGSDK_CHAT_STORE``, or a file in the
user's state folder): ``ugsdk chat start 11`` remembers the chat, and ``ugsdk chat send``
finds it there. ``--chat ID`` names another chat. With ``--sandbox`` every run starts on a
fresh sandbox, so commands that need a chat start one first (and say so on stderr).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import sys
from typing import TYPE_CHECKING, Any, Mapping, Optional

import attrs

from ..config import SETTING_NAMES, Settings
from ..errors import ValidationError
from ..models import ChannelType, Chat
from ..store import ChatStore, FileChatStore, MemoryChatStore
from .output import Output
from .report import MissingSettings, UsageError, note

if TYPE_CHECKING:
    from ..client import Client
    from ..sandbox import Sandbox

__all__ = ["Context", "UsageError", "default_store_path", "SETTING_FLAGS"]

#: Command-line flag (argparse dest) -> setting name of :mod:`ugsdk.config`.
SETTING_FLAGS: Mapping[str, str] = {
    "company_id": "company_id",
    "host": "host",
    "tenant": "tenant",
    "secret": "company_secret",
    "identifier": "identifier",
    "name": "name",
    "email_of_user": "email",
    "lang": "lang",
}


#: What a command that talks to a service needs.
_REQUIRED = ("company_id", "host", "company_secret")


def _require(settings: Settings) -> None:
    # Every missing setting at once: a new user fixes them in one go, not one run each.
    problems = []
    for name in _REQUIRED:
        try:
            settings.require(name)
        except ValidationError as exc:
            problems.append((name, str(exc)))
    if problems:
        raise MissingSettings("; ".join(text for _, text in problems), missing=[name for name, _ in problems])


def _check_store_path(path: str, source: str) -> None:
    # Refused here, by name, before the file system raises ValueError or UnicodeEncodeError.
    if "\0" in path:
        raise UsageError(f"{source}: a path cannot hold a NUL character")
    try:
        os.fsencode(path)
    except UnicodeError:
        raise UsageError(f"{source}: the path cannot be written in this system's file names ({path[:60]!r})") from None


def _signer_mark(settings: Settings) -> int:
    """A short digest of what signs the end user's JWTs (never the secret itself).

    A cached end-user token was issued for one secret; when the secret changes (a typo
    fixed, or ``--secret nope`` tried), the token must not hide the change.
    """
    seen = f"{settings.company_id}\0{settings.company_secret}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.sha256(seen).digest()[:6], "big") + 1


def default_store_path(environ: Mapping[str, str]) -> str:
    """Where the CLI keeps chat ids between runs when no ``--chat-store`` is given."""
    given = environ.get("UGSDK_CHAT_STORE")
    if given:
        return given
    if sys.platform == "win32":  # pragma: no cover - path conventions only
        base = environ.get("LOCALAPPDATA") or os.path.expanduser("~")
    else:
        base = environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "ugsdk", "cli-chats.json")


def _guest_identifier(store_path: str) -> str:
    """The end-user identifier this CLI uses when none is set, kept beside the chat store."""
    path = os.path.join(os.path.dirname(os.path.abspath(store_path)), "cli-guest-id")
    try:
        with open(path, encoding="utf-8") as handle:
            known = handle.read().strip()
        if known:
            return known
    except OSError:
        pass
    made = f"ugsdk-cli-{secrets.token_hex(6)}"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(made + "\n")
    except OSError:
        pass  # a read-only home: this run is a guest of its own
    return made


class Context:
    """The settings, client and output of one command run.

    Args:
        args: the parsed command line.
        environ: the environment to read settings from.
    """

    def __init__(self, args: argparse.Namespace, environ: Mapping[str, str]) -> None:
        self.args = args
        self.environ = environ
        self.output = Output(json_mode=bool(getattr(args, "json", False)))
        self.use_sandbox = bool(getattr(args, "sandbox", False))
        self.sandbox: Optional["Sandbox"] = None
        self._client: Optional["Client"] = None
        self._store: Optional[ChatStore] = None
        self._store_key = ""

    # -- settings and client ----------------------------------------------------------------

    def settings(self) -> Settings:
        """The settings in effect: flags over ``UGSDK_*`` variables over defaults."""
        given = {setting: getattr(self.args, flag, None) for flag, setting in SETTING_FLAGS.items()}
        return Settings.resolve(given, environ=self.environ, given_source="flag")

    @property
    def client(self) -> "Client":
        """The client of this run, made on first use."""
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def _make_client(self) -> "Client":
        settings = self.settings()
        timeout = getattr(self.args, "timeout_seconds", None)
        options: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        if self.use_sandbox:
            from ..client import Client
            from ..sandbox import Sandbox

            self.sandbox = Sandbox()
            self._store = MemoryChatStore()
            self._store_key = "sandbox"
            return Client.for_sandbox(
                self.sandbox,
                identifier=settings.identifier or "sandbox-user",
                name=settings.name,
                email=settings.email,
                lang=settings.lang or "en",
                store=self._store,
                store_key=self._store_key,
                **options,
            )
        _require(settings)
        given = getattr(self.args, "chat_store", None)
        path = given or default_store_path(self.environ)
        _check_store_path(path, "--chat-store" if given else "UGSDK_CHAT_STORE")
        self._store = FileChatStore(path)
        if not settings.identifier:
            # Without an identifier every run would be a new guest, who could not see the
            # chat the previous run started: this machine's CLI keeps one guest identity.
            given = {name: settings.get(name) for name in SETTING_NAMES if settings.sources.get(name) == "flag"}
            given["identifier"] = _guest_identifier(path)
            settings = Settings.resolve(given, environ=self.environ, given_source="flag")
        where = settings.host or settings.tenant
        # One entry per company, host and end user: the same person on another tenant has
        # another ongoing chat.
        self._store_key = f"cli:{settings.company_id}@{where}:{settings.identifier}"
        self._forget_token_of_other_secret(settings)
        return settings.client(store=self._store, store_key=self._store_key, **options)

    def _forget_token_of_other_secret(self, settings: Settings) -> None:
        store = self._store
        if not isinstance(store, FileChatStore):
            return
        mark = _signer_mark(settings)
        key = self._store_key + "#signer"
        if store.get(key) == mark:
            return
        state = store.load_state(self._store_key)
        if state is not None and state.token is not None:
            # The chat id stays (the same person's chat); only the token goes.
            store.save_state(self._store_key, attrs.evolve(state, token=None, token_expires_at=None))
        store.set(key, mark)

    def close(self) -> None:
        """Destroy the client (the stored chat id stays for the next run)."""
        if self._client is not None:
            self._client.destroy()

    # -- the chat a command is about --------------------------------------------------------

    def remember(self, chat: Chat) -> None:
        """Keep ``chat`` as the last chat of this end user, even once it has ended."""
        self.client  # the store exists once the client does
        assert self._store is not None
        self._store.set(self._store_key + "#last", chat.id)

    def current_chat(self, *, open_only: bool = False, finished: bool = False) -> Chat:
        """Make the chat this command is about current, and return it.

        That chat is ``--chat ID``, else the ongoing chat of the store, else the last chat
        (ended chats can still be rated, surveyed and e-mailed). On ``--sandbox`` a chat is
        started first (and finished first when ``finished``).

        Raises:
            UsageError: there is no chat to talk about, or ``open_only`` and it has ended.
        """
        client = self.client
        assert self._store is not None
        chosen = getattr(self.args, "chat", None)
        chat: Optional[Chat]
        if chosen is not None:
            chat = self._adopt(_chat_id(chosen))
        else:
            chat = client.load_ongoing_chat() or self._last_chat()
        if chat is None and self.use_sandbox:
            chat = self.start_sandbox_chat(finished=finished)
        if chat is None:
            raise UsageError("there is no current chat: start one with 'ugsdk chat start MENU_ID', or pass --chat ID")
        if open_only and chat.status.is_ended:
            raise UsageError(f"chat {chat.id} has ended ({chat.status.value}): start another with 'ugsdk chat start'")
        return chat

    def start_sandbox_chat(self, *, finished: bool = False) -> Chat:
        """Start a chat on the sandbox's first chat menu (``--sandbox`` only)."""
        client = self.client
        menu = next(
            item.id for root in client.get_menus().menus for item in root.walk() if item.enabled and item.channel(ChannelType.CHAT)
        )
        chat = client.create_chat(menu_id=menu)
        text = f"sandbox: started chat {chat.id} on menu {menu}"
        if finished:
            chat = client.finish_chat()
            text += ", and finished it"
        note(text, json_mode=self.output.json)
        self.remember(chat)
        return chat

    def _last_chat(self) -> Optional[Chat]:
        assert self._store is not None
        last = self._store.get(self._store_key + "#last")
        return None if last is None else self._adopt(last)

    def _adopt(self, chat_id: int) -> Chat:
        client = self.client
        assert self._store is not None
        self._store.set(self._store_key, chat_id)
        chat = client.load_ongoing_chat()  # an open chat: made current the public way
        if chat is None or chat.id != chat_id:
            # An ended chat (for its rating, survey and transcripts): load_chat makes it
            # current in this new process.
            chat = client.load_chat(chat_id)
        return chat


def _chat_id(text: str) -> int:
    from ..validation import check_int_id

    return check_int_id(text, "chat")
