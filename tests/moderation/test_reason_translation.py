"""The system's reasons (a hold, a hiding by flags, a watched word) are stored as codes and
shown in the reader's language, whatever language was active when they were written; a
moderator's own reason stays as typed. The stored rows of before (translated text) get their
code from the data migration."""

from __future__ import annotations

import html
import importlib

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.utils import translation

from community import reasons
from community import services as community_services
from community.models import ContentState, Post, PostRevision
from moderation import reasons as system_reasons
from moderation import services
from moderation.models import AuditEntry, FlagReason, ReviewItem, Sanction
from notifications import texts
from notifications.models import Notification, NotificationKind
from tests.factories import TEST_PASSWORD, CategoryFactory, TopicFactory

pytestmark = pytest.mark.urls("tests.moderation.urls_with_moderation")

PREMODERATED_EN = "Pre-moderated category: posts of new members are reviewed first."
PREMODERATED_FR = (
    "Catégorie prémodérée\u00a0: les messages des nouveaux membres sont d’abord validés."
)
HIDDEN_EN = "Hidden by the community's flags, pending review."
HIDDEN_FR = "Masqué par les signalements de la communauté, en attente d’examen."
WATCHED_HOLD_EN = "Held for review: it contains a watched word."
WATCHED_HOLD_FR = "Retenu pour validation\u00a0: il contient un mot surveillé."


def client_for(user, language: str) -> Client:
    """A signed-in browser whose Accept-Language is ``language`` (LocaleMiddleware)."""
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def page(client: Client, url: str) -> str:
    """The page's text, HTML entities decoded (autoescape writes "'" as "&#x27;")."""
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.content.decode())


def in_french(code: str, params: dict | None = None) -> str:
    with translation.override("fr"):
        text = reasons.render(code, params)
    # The catalogue must really translate it, or the assertions below would prove nothing.
    assert text != reasons.render(code, params, translate=False)
    return text


@pytest.fixture
def premoderated_topic(member):
    category = CategoryFactory(name="Support", slug="support", pre_moderated=True)
    return TopicFactory(category=category, author=member)


# --- Pre-moderation hold ---------------------------------------------------------------------


def test_a_pre_moderation_hold_made_in_english_reads_in_french_for_a_french_moderator(
    newcomer, moderator, premoderated_topic
):
    with translation.override("en"):
        post = community_services.post_create(
            actor=newcomer, topic=premoderated_topic, body="Is it safe?"
        )
    post.refresh_from_db()
    assert post.state == ContentState.HELD
    assert (post.state_reason_code, post.state_reason) == ("premoderated", PREMODERATED_EN)
    item = ReviewItem.objects.get(post=post)
    assert item.held_reason_code == "premoderated"
    assert in_french("premoderated") == PREMODERATED_FR

    french = page(client_for(moderator, "fr"), f"/mod/items/{item.pk}/")
    assert PREMODERATED_FR in french and PREMODERATED_EN not in french
    english = page(client_for(moderator, "en"), f"/mod/items/{item.pk}/")
    assert PREMODERATED_EN in english and PREMODERATED_FR not in english


def test_a_pre_moderation_hold_made_in_french_reads_in_english_for_its_english_author(
    newcomer, moderator, premoderated_topic
):
    with translation.override("fr"):
        post = community_services.post_create(
            actor=newcomer, topic=premoderated_topic, body="Is it safe?"
        )
    post.refresh_from_db()
    # Stored in the source language, whatever was active.
    assert (post.state_reason_code, post.state_reason) == ("premoderated", PREMODERATED_EN)
    with translation.override("fr"):
        assert post.state_reason_text == PREMODERATED_FR
    with translation.override("en"):
        assert post.state_reason_text == PREMODERATED_EN

    topic_url = premoderated_topic.get_absolute_url()
    english = page(client_for(newcomer, "en"), topic_url)
    assert PREMODERATED_EN in english and PREMODERATED_FR not in english
    french = page(client_for(newcomer, "fr"), topic_url)
    assert PREMODERATED_FR in french


# --- Hidden by the community's flags -----------------------------------------------------------


@pytest.fixture
def hidden_by_flags(off_duty, make_members, post, django_capture_on_commit_callbacks):
    """Three flags, raised while French was active, hide `post` (its author is told)."""
    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):
        for flagger in make_members(3):
            services.flag_create(actor=flagger, post=post, reason=FlagReason.OFF_TOPIC)
    post.refresh_from_db()
    assert post.state == ContentState.HIDDEN
    return post


def test_a_hiding_by_flags_is_stored_as_a_code_and_read_in_each_language(
    hidden_by_flags, moderator, author
):
    post = hidden_by_flags
    assert (post.state_reason_code, post.state_reason) == ("hidden_by_flags", HIDDEN_EN)
    assert in_french("hidden_by_flags") == HIDDEN_FR
    item = ReviewItem.objects.get(post=post)

    french = page(client_for(moderator, "fr"), f"/mod/items/{item.pk}/")
    assert HIDDEN_FR in french and HIDDEN_EN not in french
    english = page(client_for(moderator, "en"), f"/mod/items/{item.pk}/")
    assert HIDDEN_EN in english and HIDDEN_FR not in english
    # The author, reading in English, appeals with the reason in English.
    appeal_page = page(client_for(author, "en"), f"/p/{post.pk}/appeal/")
    assert HIDDEN_EN in appeal_page and HIDDEN_FR not in appeal_page
    # Their moderation history (the audit log as authors see it) too.
    history = page(client_for(author, "en"), "/my/moderation/")
    assert HIDDEN_EN in history and HIDDEN_FR not in history

    entry = AuditEntry.objects.get(action="content.hide_by_flags", post_id=post.pk)
    assert (entry.reason_code, entry.reason) == ("hidden_by_flags", HIDDEN_EN)
    with translation.override("fr"):
        assert entry.reason_display == HIDDEN_FR


def test_the_authors_notification_of_a_hiding_by_flags_reads_in_the_readers_language(
    hidden_by_flags, author
):
    notice = Notification.objects.get(recipient=author, kind=NotificationKind.CONTENT_MODERATED)
    assert notice.data["reason_code"] == "hidden_by_flags"
    with translation.override("en"):
        assert texts.detail(notice) == f"Reason: {HIDDEN_EN}"
    with translation.override("fr"):
        assert HIDDEN_FR in texts.detail(notice)


# --- Watched words -------------------------------------------------------------------------


def test_a_watched_word_hold_reads_in_the_moderators_language(moderator, member, topic):
    services.watched_word_create(actor=moderator, pattern="refund", action="hold")
    with translation.override("fr"):
        post = community_services.post_create(actor=member, topic=topic, body="A REFUND now")
    post.refresh_from_db()
    assert (post.state_reason_code, post.state_reason) == ("watched_word_hold", WATCHED_HOLD_EN)
    item = ReviewItem.objects.get(post=post)
    assert in_french("watched_word_hold") == WATCHED_HOLD_FR

    english = page(client_for(moderator, "en"), f"/mod/items/{item.pk}/")
    assert WATCHED_HOLD_EN in english and WATCHED_HOLD_FR not in english
    french = page(client_for(moderator, "fr"), "/mod/queue/")
    assert WATCHED_HOLD_FR in french and WATCHED_HOLD_EN not in french
    # The audit entry keeps the word and rule, untranslated, after the translated reason.
    entry = AuditEntry.objects.get(action="content.hold", post_id=post.pk)
    assert entry.reason_code == "watched_word_hold"
    assert entry.reason.startswith(WATCHED_HOLD_EN) and "“REFUND”" in entry.reason
    with translation.override("fr"):
        assert entry.reason_display.startswith(WATCHED_HOLD_FR)
        assert "“REFUND”" in entry.reason_display


def test_a_watched_word_flag_keeps_its_word_as_a_parameter(moderator, member, topic):
    services.watched_word_create(
        actor=moderator, pattern=r"\bcompetitor\w*", action="flag", is_regex=True
    )
    with translation.override("en"):
        post = community_services.post_create(
            actor=member, topic=topic, body="Competitors do better"
        )
    item = ReviewItem.objects.get(post=post)
    assert (item.held_reason_code, item.held_reason_params) == (
        "watched_word_flag",
        {"word": "Competitors"},
    )
    assert item.held_reason == "Contains a watched word: “Competitors”."
    expected_fr = in_french("watched_word_flag", {"word": "Competitors"})
    assert "Competitors" in expected_fr and "surveillé" in expected_fr

    french = page(client_for(moderator, "fr"), f"/mod/items/{item.pk}/")
    assert expected_fr in french and item.held_reason not in french
    english = page(client_for(moderator, "en"), f"/mod/items/{item.pk}/")
    assert "Contains a watched word: “Competitors”." in english


def test_a_replaced_watched_word_note_reads_in_the_readers_language(moderator, member, topic):
    services.watched_word_create(
        actor=moderator, pattern="darn", action="replace", replacement="■■■"
    )
    with translation.override("fr"):
        post = community_services.post_create(actor=member, topic=topic, body="A darn kettle")
    revision = PostRevision.objects.get(post=post)
    assert revision.note_code == "watched_word_replaced"
    assert revision.note == "Watched word replaced."
    with translation.override("fr"):
        assert revision.note_text == "Mot surveillé remplacé."
    with translation.override("en"):
        assert revision.note_text == "Watched word replaced."


# --- What stays as typed ---------------------------------------------------------------------


def test_a_moderators_reason_is_stored_and_shown_as_typed(moderator, member, post):
    services.flag_create(actor=member, post=post, reason=FlagReason.SPAM)
    item = ReviewItem.objects.get(post=post)
    with translation.override("fr"):
        services.item_decide(actor=moderator, item=item, action="remove", reason="Pub, désolé.")
    post.refresh_from_db()
    assert post.state == ContentState.REMOVED
    assert (post.state_reason, post.state_reason_code) == ("Pub, désolé.", "")
    for language in ("en", "fr"):
        with translation.override(language):
            assert post.state_reason_text == "Pub, désolé."


def test_an_unknown_code_falls_back_to_the_stored_text(post):
    Post.objects.filter(pk=post.pk).update(
        state="held", state_reason="Old words", state_reason_code="gone_code"
    )
    post.refresh_from_db()
    assert post.state_reason_text == "Old words"
    with pytest.raises(ValueError):
        reasons.SystemReason("gone_code")


def test_a_translation_missing_a_parameter_falls_back_to_the_source_text(monkeypatch):
    monkeypatch.setattr(reasons, "gettext", lambda msgid: "Mot « %(mot)s »")
    assert (
        reasons.render(system_reasons.WATCHED_WORD_FLAG, {"word": "x"})
        == "Contains a watched word: “x”."
    )


# --- The data migration --------------------------------------------------------------------


def _migration(app: str, name: str):
    return importlib.import_module(f"{app}.migrations.{name}")


def _models_after(app: str, name: str):
    """The models as the migration sees them (plain managers: the audit log's refuses
    updates, the migration's does not)."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    return loader.project_state((app, name), at_end=True).apps


def test_the_migration_gives_french_and_english_reasons_their_codes(
    post, make_post, author, moderator
):
    french_hidden, english_links, typed = post, make_post(author), make_post(author)
    premoderated = make_post(author)
    Post.objects.filter(pk=french_hidden.pk).update(state="hidden", state_reason=HIDDEN_FR)
    Post.objects.filter(pk=english_links.pk).update(
        state="held",
        state_reason=(
            "Retenu pour validation\u00a0: les messages des nouveaux membres contenant plus "
            "de 2 liens sont vérifiés."
        ),
    )
    Post.objects.filter(pk=typed.pk).update(state="removed", state_reason="Spam, sorry.")
    Post.objects.filter(pk=premoderated.pk).update(state="held", state_reason=PREMODERATED_FR)
    item = ReviewItem.objects.create(
        post=english_links,
        topic=english_links.topic,
        kind="watched",
        held_reason="Contient un mot surveillé\u00a0: «\u00a0Rival\u00a0».",
    )
    AuditEntry.objects.create(
        actor_name="system",
        actor_role="system",
        action="content.hold",
        post_id=english_links.pk,
        reason=f"{WATCHED_HOLD_FR} “refund” (rule 4)",
    )
    sanction = Sanction.objects.create(
        member=author,
        kind="silence",
        reason=(
            "Réduit au silence automatiquement\u00a0: 3 de vos messages ont été masqués par "
            "les signalements de la communauté en moins d’une journée. Un modérateur va les "
            "examiner."
        ),
        created_by_name="system",
        automatic=True,
    )

    state = _models_after("moderation", "0002_system_reason_codes")
    _migration("community", "0005_system_reason_codes").premoderated_to_code(state, None)
    _migration("moderation", "0002_system_reason_codes").reasons_to_codes(state, None)

    def stored(row):
        row.refresh_from_db()
        return row.state_reason_code, row.state_reason_params, row.state_reason

    assert stored(premoderated) == ("premoderated", {}, PREMODERATED_EN)
    assert stored(french_hidden) == ("hidden_by_flags", {}, HIDDEN_EN)
    assert stored(english_links) == (
        "spam_links",
        {"max": 2},
        "Held for review: new members' posts with more than 2 links are checked.",
    )
    assert stored(typed) == ("", {}, "Spam, sorry.")
    item.refresh_from_db()
    assert (item.held_reason_code, item.held_reason_params, item.held_reason) == (
        "watched_word_flag",
        {"word": "Rival"},
        "Contains a watched word: “Rival”.",
    )
    entry = AuditEntry.objects.get(action="content.hold", post_id=english_links.pk)
    # The audit log is append-only: the text stays as written, the code is added.
    assert entry.reason == f"{WATCHED_HOLD_FR} “refund” (rule 4)"
    assert (entry.reason_code, entry.reason_params) == (
        "watched_word_hold",
        {"detail": "“refund” (rule 4)"},
    )
    with translation.override("en"):
        assert entry.reason_display == f"{WATCHED_HOLD_EN} “refund” (rule 4)"
    sanction.refresh_from_db()
    assert (sanction.reason_code, sanction.reason_params) == ("auto_silence", {"count": 3})
    with translation.override("en"):
        assert sanction.reason_text.startswith("Silenced automatically: 3 of your posts")
