"""``path("support/", include("ugsdk.contrib.django.urls"))``: token, events, the page
helper script and actions."""

from django.urls import path  # type: ignore[import-untyped,import-not-found,unused-ignore]

from . import views

app_name = "ugsdk"
urlpatterns = [
    path("token", views.token_view, name="token"),
    path("events", views.events_view, name="events"),
    path("ugsdk-chat.js", views.script_view, name="script"),
    path("<str:name>", views.action_view, name="action"),
]
