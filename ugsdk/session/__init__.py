"""The chat session: the one owner of a client's chat state.

- :mod:`.chat_session`: which chat is current, every change to it, and every request on the
  current chat's path (one 404/409 recovery);
- :mod:`.remembered`: the store side, the truth across threads and processes (atomic
  updates, the claim to start a chat, a sliding lifetime);
- :mod:`.following`: listeners, the dispatcher that calls them, the pump and the feeds.
"""

from .chat_session import ChatSession
from .following import LiveEvents, is_chat_listener
from .remembered import Remembered

__all__ = ["ChatSession", "LiveEvents", "Remembered", "is_chat_listener"]
