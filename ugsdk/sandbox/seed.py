"""The demo tenant ("Sandbox Outfitters") and the bare one.

The demo covers every feature a client can meet: nested menus, a virtual agent, every
channel, a redirection, a disabled item, a direct-access key, a long queue that triggers
deflection, a three-question survey, triggers and prohibited file types.
"""

from __future__ import annotations

from ..models import (
    ChannelType,
    ChatDeflection,
    Company,
    LanguageOption,
    MenuRedirection,
    ProhibitedFileTypes,
    QuestionType,
    SurveyQuestion,
    Trigger,
)
from .ids import IdSource
from .staff import Roster
from .tenant import MenuConfig, Tenant

__all__ = ["bare_tenant", "populate_demo"]

_C = ChannelType


def bare_tenant(subdomain: str = "sandbox") -> Tenant:
    """A tenant with a company, English only, and nothing else."""
    company = Company(name="Sandbox", subdomain=subdomain, languages=[LanguageOption(lang="en", name="English")])
    return Tenant(company=company)


def populate_demo(tenant: Tenant, roster: Roster, ids: IdSource) -> None:
    """Fill ``tenant`` and ``roster`` with the demo contact center.

    Menu ids are fixed (1, 11, 12, 2, 3, 4, 5) so tests and docs can name them.
    """
    tenant.company = Company(
        name="Sandbox Outfitters",
        subdomain="sandbox",
        support_email="support@sandbox-outfitters.invalid",
        languages=[
            LanguageOption(lang="en", name="English"),
            LanguageOption(lang="es", name="Español"),
            LanguageOption(lang="fr", name="Français"),
        ],
        action_tracking=True,
        email_transcripts=True,
        message_preview=True,
        email_enhancement=True,
        display_history=True,
        use_recording=True,
        use_web=True,
    )
    menus = [
        MenuConfig(1, "Orders", names={"es": "Pedidos", "fr": "Commandes"}),
        MenuConfig(
            11, "Where is my order", parent_id=1, virtual_agent=True,
            channels=[_C.CHAT, _C.VOICE_CALL, _C.SCHEDULED_CALL, _C.EMAIL],
            names={"es": "¿Dónde está mi pedido?", "fr": "Où est ma commande ?"},
            chat_wait=30, voice_call_wait=90,
        ),
        MenuConfig(
            12, "Returns", parent_id=1, channels=[_C.CHAT, _C.EMAIL],
            names={"es": "Devoluciones", "fr": "Retours"}, chat_wait=120,
        ),
        MenuConfig(
            2, "Billing", channels=[_C.CHAT, _C.VOICE_CALL, _C.SCHEDULED_CALL],
            names={"es": "Facturación", "fr": "Facturation"}, chat_wait=300, voice_call_wait=600,
        ),
        MenuConfig(
            3, "Store locator", redirection=MenuRedirection(option="url", data="https://sandbox-outfitters.invalid/stores"),
            names={"es": "Tiendas", "fr": "Magasins"},
        ),
        MenuConfig(4, "Closed line", enabled=False, channels=[_C.CHAT, _C.VOICE_CALL]),
        MenuConfig(
            5, "VIP desk", channels=[_C.CHAT, _C.VOICE_CALL, _C.EMAIL], direct_key="vip", listed=False,
            chat_wait=5, voice_call_wait=10,
        ),
    ]
    for menu in menus:
        tenant.add_menu(menu)
    tenant.deflection = ChatDeflection(enabled=True, threshold=180, keep_waiting=True)
    tenant.after_hour_messages = {
        "en": "We are closed right now. Our team is back at 8:00 (UTC), Monday to Friday.",
        "es": "Ahora estamos cerrados. Volvemos a las 8:00 (UTC), de lunes a viernes.",
        "fr": "Nous sommes fermés. Retour à 8h00 (UTC), du lundi au vendredi.",
    }
    tenant.triggers = [
        Trigger(
            id=str(ids.next("trigger")), name="Checkout help", url_pattern="https://shop.sandbox.invalid/checkout*",
            min_visits=1, delay_seconds=10, menu_id=11, greeting="Need a hand with your order?",
        ),
        Trigger(
            id=str(ids.next("trigger")), name="Returns page", url_pattern="*/returns*", min_visits=2,
            langs=["en", "es"], delay_seconds=30, menu_id=12, greeting="Questions about a return?",
        ),
    ]
    tenant.survey_questions = [
        SurveyQuestion(
            id=ids.next("question"), type=QuestionType.SCALE,
            display_text="How would you rate your agent?", valid_answers=[1, 2, 3, 4, 5],
        ),
        SurveyQuestion(
            id=ids.next("question"), type=QuestionType.YES_NO,
            display_text="Was your issue resolved?", valid_answers=["yes", "no"],
        ),
        SurveyQuestion(id=ids.next("question"), type=QuestionType.FREE_FORM, display_text="Anything else to tell us?"),
    ]
    tenant.survey_sign_off = "Thanks for shopping with Sandbox Outfitters!"
    tenant.prohibited = ProhibitedFileTypes(
        extensions=[".exe", ".bat", ".cmd", ".com", ".js", ".msi", ".scr", ".vbs"],
        mime_types=["application/x-msdownload", "application/x-sh", "application/javascript"],
        max_size=20 * 1024 * 1024,
    )
    for name in ("Dana Whitfield", "Miguel Ortega", "Priya Raman"):
        roster.add(name)
