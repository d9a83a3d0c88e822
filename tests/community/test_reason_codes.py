"""A post held by the pre-moderation rule keeps the reason as a code: its author and the
moderators read it in their own language, on the topic page and through the API, whatever
language the author wrote in. A moderator's reason stays as typed."""

from __future__ import annotations

import html

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from community import reasons, services
from community.models import ContentState, Post
from tests.factories import CategoryFactory, TopicFactory

PREMODERATED_EN = "Pre-moderated category: posts of new members are reviewed first."
PREMODERATED_FR = (
    "Catégorie prémodérée\u00a0: les messages des nouveaux membres sont d’abord validés."
)


@pytest.fixture(autouse=True)
def _english():
    """Whatever an earlier request of this thread left active, the tests start in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def premoderated_topic(member):
    category = CategoryFactory(name="Support", slug="support", pre_moderated=True)
    return TopicFactory(category=category, author=member)


def api_for(user, language: str) -> APIClient:
    from accounts.services import api_token_create

    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    _token, key = api_token_create(actor=user, name="tests")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_reply_held_from_a_french_request_keeps_a_code_not_french_text(
    login, newcomer, premoderated_topic
):
    client = login(newcomer, HTTP_ACCEPT_LANGUAGE="fr")
    response = client.post(f"/t/{premoderated_topic.pk}/reply/", {"body": "Is it safe?"})
    assert response.status_code == 302

    post = Post.objects.get(topic=premoderated_topic, number=2)
    assert post.state == ContentState.HELD
    assert (post.state_reason_code, post.state_reason_params, post.state_reason) == (
        reasons.PREMODERATED,
        {},
        PREMODERATED_EN,
    )
    english = html.unescape(
        login(newcomer, HTTP_ACCEPT_LANGUAGE="en")
        .get(premoderated_topic.get_absolute_url())
        .content.decode()
    )
    assert PREMODERATED_EN in english and PREMODERATED_FR not in english
    french = html.unescape(client.get(premoderated_topic.get_absolute_url()).content.decode())
    assert PREMODERATED_FR in french and PREMODERATED_EN not in french


def test_the_api_gives_the_reason_in_the_callers_language(newcomer, moderator, premoderated_topic):
    with translation.override("fr"):
        post = services.post_create(actor=newcomer, topic=premoderated_topic, body="Is it safe?")
    assert post.state == ContentState.HELD
    url = f"/api/v1/posts/{post.pk}/"

    for user in (newcomer, moderator):
        english = api_for(user, "en").get(url)
        assert english.status_code == 200
        assert english.json()["state_reason"] == PREMODERATED_EN
        assert api_for(user, "fr").get(url).json()["state_reason"] == PREMODERATED_FR


def test_a_moderators_reason_is_not_translated(member, moderator, topic):
    reply = services.post_create(actor=member, topic=topic, body="Buy my kettles!")
    with translation.override("fr"):
        services.post_remove(actor=moderator, post=reply, reason="Advertising.")
    reply.refresh_from_db()
    assert (reply.state_reason, reply.state_reason_code) == ("Advertising.", "")
    url = f"/api/v1/posts/{reply.pk}/"
    assert api_for(member, "fr").get(url).json()["state_reason"] == "Advertising."


def test_a_state_change_announces_the_code_with_the_source_text(
    captured_events, newcomer, premoderated_topic
):
    with translation.override("fr"):
        services.post_create(actor=newcomer, topic=premoderated_topic, body="Is it safe?")
    [change] = captured_events["post_state_changed"]
    assert (change["reason"], change["reason_code"], change["reason_params"]) == (
        PREMODERATED_EN,
        reasons.PREMODERATED,
        {},
    )
