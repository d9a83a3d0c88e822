"""The moderators' pages, mounted at /mod/ by ``config/urls.py``::

    path("mod/", include("moderation.urls")),

Members' pages (flag, appeal, their history, the guidelines, public logs) are in
``moderation.public_urls``, mounted at the root: /mod/ answers 403 to members."""

from django.urls import path
from django.views.generic import RedirectView

from moderation import views

app_name = "moderation"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="moderation:queue"), name="home"),
    path("queue/", views.queue, name="queue"),
    path("queue/bulk/", views.queue_bulk, name="queue_bulk"),
    path("items/<int:item_id>/", views.item_detail, name="item"),
    path("items/<int:item_id>/claim/", views.item_claim, name="item_claim"),
    path("items/<int:item_id>/release/", views.item_release, name="item_release"),
    path("items/<int:item_id>/decide/", views.item_decide, name="item_decide"),
    path("appeals/<int:appeal_id>/decide/", views.appeal_decide, name="appeal_decide"),
    path("members/<str:username>/notes/", views.member_note, name="member_note"),
    path("staff/", views.staff_queue, name="staff_queue"),
    path("audit/", views.audit, name="audit"),
    # Community managers' lists
    path("watched-words/", views.watched_words, name="watched_words"),
    path("watched-words/test/", views.watched_words_test, name="watched_words_test"),
    path("watched-words/<int:word_id>/", views.watched_word_edit, name="watched_word_edit"),
    path(
        "watched-words/<int:word_id>/delete/",
        views.watched_word_delete,
        name="watched_word_delete",
    ),
    path("rules/", views.rules, name="rules"),
    path("rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:rule_id>/delete/", views.rule_delete, name="rule_delete"),
    path("removal-reasons/", views.removal_reasons, name="removal_reasons"),
    path("removal-reasons/<int:reason_id>/", views.removal_reason_edit, name="removal_reason_edit"),
    path(
        "removal-reasons/<int:reason_id>/delete/",
        views.removal_reason_delete,
        name="removal_reason_delete",
    ),
    path("public-logs/", views.public_logs, name="public_logs"),
    # Administrators
    path("coverage/", views.coverage_hours, name="coverage"),
]
