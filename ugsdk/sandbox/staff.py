"""The people on the contact center's side: human agents and the virtual agent.

What the virtual agent says is in :mod:`ugsdk.sandbox.script`.
"""

from __future__ import annotations

from typing import List, Optional

from ..models import Agent, Identity, SenderIdentity, UserType, VirtualAgent
from .ids import IdSource
from .refusal import not_found

__all__ = [
    "Roster",
    "agent_identity",
    "virtual_agent_identity",
    "sender_of",
    "end_user_sender",
    "SYSTEM_SENDER",
]

#: Who system notifications (``noti``) and trigger greetings come from.
SYSTEM_SENDER = SenderIdentity(id=0, type=UserType.SYSTEM, display_name="System", is_customer=False)


def _avatar(name: str) -> str:
    return "https://avatars.sandbox.invalid/" + name.lower().replace(" ", "-") + ".png"


class Roster:
    """The human agents (picked in turn when a chat needs one) and the virtual agent."""

    def __init__(self, ids: IdSource) -> None:
        self._ids = ids
        self.agents: List[Agent] = []
        self._turn = 0
        self.virtual_agent = VirtualAgent(id=ids.next("virtual_agent"), name="Sandy", avatar_url=_avatar("sandy-bot"), status="online")

    def add(self, name: str, *, first_name: Optional[str] = None, avatar_url: Optional[str] = None) -> Agent:
        """Hire an agent; later chats may be assigned to them."""
        agent = Agent(
            id=self._ids.next("agent"),
            name=name,
            first_name=first_name or name.split()[0],
            avatar_url=avatar_url or _avatar(name),
            status="online",
        )
        self.agents.append(agent)
        return agent

    def pick(self, agent_id: Optional[int] = None) -> Agent:
        """The agent with ``agent_id``, or the next one in turn (one is hired if none exist).

        Raises:
            Refusal: 404 for an unknown ``agent_id``.
        """
        if agent_id is not None:
            for agent in self.agents:
                if agent.id == agent_id:
                    return agent
            raise not_found("agent", agent_id)
        if not self.agents:
            self.add("Alex Morgan")
        agent = self.agents[self._turn % len(self.agents)]
        self._turn += 1
        return agent


def agent_identity(agent: Agent) -> Identity:
    """The event identity of a human agent."""
    return Identity(id=agent.id, name=agent.name or "Agent", type=UserType.AGENT, is_customer=False, avatar_url=agent.avatar_url)


def virtual_agent_identity(bot: VirtualAgent) -> Identity:
    """The event identity of the virtual agent."""
    return Identity(id=bot.id, name=bot.name or "Virtual agent", type=UserType.VIRTUAL_AGENT, is_customer=False, avatar_url=bot.avatar_url)


def sender_of(who: Identity) -> SenderIdentity:
    """The message identity of a member (agent or virtual agent)."""
    return SenderIdentity(id=who.id, type=who.type, display_name=who.name, is_customer=who.is_customer, avatar_url=who.avatar_url)


def end_user_sender(user_id: int, name: Optional[str]) -> SenderIdentity:
    """The message identity of the end user (``name`` from their JWT, when it had one)."""
    return SenderIdentity(id=user_id, type=UserType.END_USER, display_name=name or "You", is_customer=True)
