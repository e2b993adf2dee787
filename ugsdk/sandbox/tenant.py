"""The tenant's configuration: company, menu tree, waits, survey, triggers, file rules.

This is what an administrator sets in the portal. The sandbox keeps it in plain mutable
records and renders the wire models from them on every request.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import attrs

from ..models import (
    ChannelType,
    ChatDeflection,
    Company,
    DirectAccess,
    LanguageOption,
    MenuChannel,
    MenuDeflection,
    MenuItem,
    MenuRedirection,
    MenuResponse,
    ProhibitedFileTypes,
    SurveyQuestion,
    Trigger,
    WaitTimes,
)

__all__ = ["MenuConfig", "Tenant"]


@attrs.define
class MenuConfig:
    """One menu node as the sandbox stores it.

    Attributes:
        channels: the channel types offered (order kept).
        virtual_agent: chats on this menu start with the virtual agent.
        direct_key: the direct-access key that opens this menu's subtree.
        listed: shown in the plain menu list (menus with a direct key default to hidden).
        names: translations of ``name`` by language.
    """

    id: int
    name: str
    parent_id: Optional[int] = None
    enabled: bool = True
    channels: List[ChannelType] = attrs.field(factory=list)
    virtual_agent: bool = False
    redirection: Optional[MenuRedirection] = None
    deflection: Optional[MenuDeflection] = None
    direct_key: Optional[str] = None
    listed: bool = True
    names: Dict[str, str] = attrs.field(factory=dict)
    chat_wait: int = 0
    voice_call_wait: int = 0

    def has(self, channel: ChannelType) -> bool:
        """Whether the menu offers ``channel``."""
        return channel in self.channels


@attrs.define
class Tenant:
    """All tenant settings. Mutated only under the sandbox lock."""

    company: Company
    menus: Dict[int, MenuConfig] = attrs.field(factory=dict)
    deflection: ChatDeflection = attrs.field(factory=lambda: ChatDeflection(enabled=False, threshold=0, keep_waiting=True))
    after_hour_messages: Dict[str, str] = attrs.field(factory=dict)
    triggers: List[Trigger] = attrs.field(factory=list)
    survey_questions: List[SurveyQuestion] = attrs.field(factory=list)
    survey_sign_off: str = "Thank you for your feedback!"
    prohibited: ProhibitedFileTypes = attrs.field(
        factory=lambda: ProhibitedFileTypes(extensions=[], mime_types=[], max_size=20 * 1024 * 1024)
    )
    #: Number of 15-minute time slots offered for scheduled calls.
    time_slot_count: int = 32
    #: The tenant's feature flags (``get_feature_flags``); advanced call scheduling is
    #: served only while ``advanced_call_scheduling`` is on.
    feature_flags: Dict[str, bool] = attrs.field(
        factory=lambda: {"advanced_call_scheduling": True, "cobrowse": True, "post_session_opt_in": True}
    )
    #: Advanced call scheduling: the slot length in minutes, the calls one slot takes, and
    #: how many days ahead slots may be booked.
    advanced_slot_minutes: int = 30
    advanced_calls_per_slot: int = 2
    max_days_ahead: int = 14

    @property
    def languages(self) -> Tuple[str, ...]:
        """The language codes the tenant offers."""
        return tuple(option.lang for option in self.company.languages)

    def add_menu(self, menu: MenuConfig) -> MenuConfig:
        """Add a menu node.

        Raises:
            ValueError: the id is taken, the parent is unknown, or the direct key is taken.
        """
        if menu.id in self.menus:
            raise ValueError(f"menu {menu.id} already exists")
        if menu.parent_id is not None and menu.parent_id not in self.menus:
            raise ValueError(f"parent menu {menu.parent_id} does not exist")
        if menu.direct_key is not None and any(m.direct_key == menu.direct_key for m in self.menus.values()):
            raise ValueError(f"direct-access key {menu.direct_key!r} is taken")
        self.menus[menu.id] = menu
        return menu

    def menu(self, menu_id: int) -> Optional[MenuConfig]:
        """The menu with this id, or ``None``."""
        return self.menus.get(menu_id)

    def children(self, menu_id: Optional[int]) -> List[MenuConfig]:
        """The direct children of a menu (``None``: the roots), in insertion order."""
        return [m for m in self.menus.values() if m.parent_id == menu_id]

    def render(self, menu: MenuConfig, lang: Optional[str]) -> MenuItem:
        """The wire model of a menu and its subtree, names in ``lang`` when translated."""
        return MenuItem(
            id=menu.id,
            name=menu.names.get(lang or "", menu.name),
            enabled=menu.enabled,
            redirection=menu.redirection,
            children=[self.render(child, lang) for child in self.children(menu.id)],
            channels=[MenuChannel(type=channel, enabled=menu.enabled) for channel in menu.channels],
            deflection=menu.deflection,
        )

    def menu_response(self, key: Optional[str], lang: Optional[str]) -> MenuResponse:
        """The menu list; a known direct-access ``key`` narrows it to that menu's subtree."""
        if key:
            for menu in self.menus.values():
                if menu.direct_key == key:
                    return MenuResponse(menus=[self.render(menu, lang)], direct=DirectAccess(key=True, user=False))
        roots = [m for m in self.children(None) if m.listed]
        return MenuResponse(menus=[self.render(m, lang) for m in roots], direct=DirectAccess(key=False, user=False))

    def wait_times(self, menu: MenuConfig) -> WaitTimes:
        """The menu's current estimated waits."""
        return WaitTimes(chat=menu.chat_wait, voice_call=menu.voice_call_wait)

    def after_hour_message(self, lang: Optional[str]) -> str:
        """The after-hours message in ``lang``, else English, else the first one set."""
        for candidate in (lang, "en"):
            if candidate and candidate in self.after_hour_messages:
                return self.after_hour_messages[candidate]
        return next(iter(self.after_hour_messages.values()), "")

    def triggers_for(self, lang: Optional[str]) -> List[Trigger]:
        """The triggers that may fire for ``lang`` (matching on the URL is the client's job)."""
        return [t for t in self.triggers if not lang or not t.langs or lang in t.langs]

    def survey_question(self, question_id: int) -> Optional[SurveyQuestion]:
        """The survey question with this id, or ``None``."""
        for question in self.survey_questions:
            if question.id == question_id:
                return question
        return None

    def set_languages(self, languages: Sequence[Tuple[str, str]]) -> None:
        """Replace the offered languages with ``(code, display name)`` pairs."""
        self.company = attrs.evolve(self.company, languages=[LanguageOption(lang=c, name=n) for c, n in languages])
