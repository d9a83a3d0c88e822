"""Writing through the web pages: new topics, replies, quotes, mentions, edits and their
history, the live preview, and every refusal (bad input, locks, trust levels, rate limits,
sign-in, CSRF) ending in a clear message or a 4xx with nothing saved."""

from __future__ import annotations

import pytest
from django.test import Client

from community import services
from community.models import Post, PostRevision, Topic
from tests.community.conftest import HTMX
from tests.factories import TEST_PASSWORD, CategoryFactory, PostFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db

MARKDOWN = "Hello **everyone**, here is a list:\n\n1. unplug\n2. descale\n\n`citric acid` works."


def new_topic(client, category, **overrides):
    data = {
        "category": category.pk,
        "title": "How do I descale the Aurora kettle?",
        "kind": "question",
        "tags": "descaling, Aurora",
        "body": MARKDOWN,
        **overrides,
    }
    return client.post("/new-topic/", data)


def test_member_starts_a_topic_with_markdown_and_tags(member_client, member, category):
    response = new_topic(member_client, category)

    topic = Topic.objects.get()
    assert response.status_code == 302
    assert response["Location"] == topic.get_absolute_url()
    assert topic.author == member and topic.kind == "question"
    assert sorted(topic.tags.values_list("slug", flat=True)) == ["aurora", "descaling"]
    html = member_client.get(topic.get_absolute_url()).content.decode()
    assert "<strong>everyone</strong>" in html
    assert "<code>citric acid</code>" in html


def test_new_topic_form_preselects_the_category_and_its_default_kind(member_client, category):
    ideas = CategoryFactory(name="Ideas", slug="ideas", default_topic_kind="idea")

    form = member_client.get("/new-topic/?category=ideas").context["form"]

    assert form.initial == {"category": ideas.pk, "kind": "idea"}
    assert {value for value, _label in form.fields["category"].choices} == {category.pk, ideas.pk}


def test_too_short_title_is_refused_with_a_message_and_nothing_saved(member_client, category):
    response = new_topic(member_client, category, title="Help")

    assert response.status_code == 200
    assert "The title must have between" in response.content.decode()
    assert response.context["form"].errors["title"]
    assert not Topic.objects.exists()


def test_too_long_body_is_refused_and_nothing_saved(member_client, topic, settings):
    response = member_client.post(
        f"/t/{topic.pk}/reply/", {"body": "x" * (settings.COMMUNITY_BODY_MAX + 1)}
    )

    assert response.status_code == 200
    assert response.context["reply_form"].errors["body"]
    assert Post.objects.filter(topic=topic).count() == 1


def test_category_above_the_trust_level_refuses_the_topic(login, newcomer):
    strict = CategoryFactory(name="Regulars only", slug="regulars", min_trust_to_start=3)
    client = login(newcomer)

    page = client.get("/new-topic/")
    forced = new_topic(client, strict)

    assert strict.name not in page.content.decode()
    assert forced.status_code == 200
    assert forced.context["form"].errors["category"]
    assert not Topic.objects.exists()


def test_page_explains_when_no_category_is_open_to_the_member(login, newcomer):
    CategoryFactory(name="Regulars only", slug="regulars", min_trust_to_start=3)
    html = login(newcomer).get("/new-topic/").content.decode()
    assert "You cannot start a topic yet" in html


def test_preview_button_without_javascript_renders_without_saving(member_client, category):
    response = new_topic(member_client, category, preview="1")

    assert response.status_code == 200
    assert "<strong>everyone</strong>" in response.content.decode()
    assert not Topic.objects.exists()


def test_member_replies_and_lands_on_the_new_post(member_client, member, topic):
    response = member_client.post(f"/t/{topic.pk}/reply/", {"body": "Thanks, it worked!"})

    reply = Post.objects.get(topic=topic, number=2)
    assert reply.author == member
    assert response.status_code == 302
    assert response["Location"] == f"{topic.get_absolute_url()}#post-2"


def test_reply_quotes_a_post_and_mentions_a_member(member_client, topic, other_member):
    first = topic.posts.get(number=1)
    quote = member_client.get(f"/p/{first.pk}/quote/").json()["markdown"]
    body = f"{quote}Same here, @{other_member.username} had it too."

    member_client.post(f"/t/{topic.pk}/reply/", {"body": body, "reply_to": first.pk})

    reply = Post.objects.get(topic=topic, number=2)
    assert reply.reply_to == first
    html = member_client.get(topic.get_absolute_url()).content.decode()
    assert '<aside class="quote"' in html
    assert f'<a href="/u/{other_member.username}/" class="mention"' in html or (
        f'class="mention" href="/u/{other_member.username}/"' in html
    )


def test_reply_to_a_locked_topic_is_refused_and_nothing_saved(member_client, topic, moderator):
    services.topic_lock(actor=moderator, topic=topic)

    response = member_client.post(f"/t/{topic.pk}/reply/", {"body": "Can I still post?"})

    assert response.status_code == 403
    assert "locked" in response.content.decode()
    assert Post.objects.filter(topic=topic).count() == 1


def test_empty_reply_is_a_form_error(member_client, topic):
    response = member_client.post(f"/t/{topic.pk}/reply/", {"body": "   "})
    assert response.status_code == 200
    assert response.context["reply_form"].errors["body"]


def test_reply_beyond_the_daily_limit_is_a_429_with_retry_after(member_client, topic, settings):
    settings.COMMUNITY_DAILY_LIMITS = {"posts": {1: 0}}

    response = member_client.post(f"/t/{topic.pk}/reply/", {"body": "One more reply, please."})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "limit" in response.content.decode()
    assert Post.objects.filter(topic=topic).count() == 1


def test_author_edits_and_the_revision_shows_in_the_history(member_client, topic):
    first = topic.posts.get(number=1)

    response = member_client.post(
        f"/p/{first.pk}/edit/",
        {
            "title": "The Aurora kettle whistles at night",
            "body": "The Aurora kettle sings when it boils. Is that normal?",
            "note": "better words",
        },
    )

    assert response.status_code == 302
    assert PostRevision.objects.filter(post=first).count() == 1
    topic.refresh_from_db()
    assert topic.title == "The Aurora kettle whistles at night"
    page = member_client.get(topic.get_absolute_url()).content.decode()
    assert f'href="/p/{first.pk}/history/"' in page
    history = member_client.get(f"/p/{first.pk}/history/").content.decode()
    assert "<del>" in history and "<ins>" in history
    assert "whistles" in history and "sings" in history
    assert "better words" in history


def test_someone_else_cannot_edit_a_post(other_client, topic):
    first = topic.posts.get(number=1)
    assert other_client.get(f"/p/{first.pk}/edit/").status_code == 403
    response = other_client.post(f"/p/{first.pk}/edit/", {"body": "Hijacked text here."})
    assert response.status_code == 403
    assert Post.objects.get(pk=first.pk).body != "Hijacked text here."


def test_author_deletes_a_reply(other_client, topic, other_member):
    reply = PostFactory(topic=topic, author=other_member)

    response = other_client.post(f"/p/{reply.pk}/delete/")

    assert response.status_code == 302
    assert Post.objects.get(pk=reply.pk).state == "deleted"
    assert (
        "was deleted by its author" in other_client.get(topic.get_absolute_url()).content.decode()
    )


def test_live_preview_returns_sanitized_html(member_client):
    response = member_client.post(
        "/preview/", {"body": "**bold** <script>alert(1)</script>"}, **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>bold</strong>" in html
    assert "<script>" not in html


def test_preview_of_an_oversized_text_is_a_400_fragment(member_client):
    response = member_client.post("/preview/", {"body": "x" * 200_001}, **HTMX)
    assert response.status_code == 400
    assert "too long" in response.content.decode()


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/new-topic/"),
        ("post", "/t/{topic}/reply/"),
        ("post", "/p/{post}/vote/"),
        ("post", "/t/{topic}/follow/"),
        ("get", "/p/{post}/edit/"),
        ("post", "/preview/"),
    ],
)
def test_anonymous_writes_are_sent_to_sign_in(client, topic, method, url):
    post = topic.posts.get(number=1)
    url = url.format(topic=topic.pk, post=post.pk)

    response = getattr(client, method)(url, {"body": "x", "value": "1", "level": "3"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert Post.objects.count() == 1


def test_anonymous_htmx_write_redirects_the_whole_page(client, topic):
    post = topic.posts.get(number=1)
    response = client.post(f"/p/{post.pk}/vote/", {"value": "1"}, **HTMX)
    assert response["HX-Redirect"].startswith("/accounts/login/?next=")


def test_csrf_token_is_required_for_posting(member, topic):
    client = Client(enforce_csrf_checks=True)
    client.login(username=member.username, password=TEST_PASSWORD)

    response = client.post(f"/t/{topic.pk}/reply/", {"body": "No token, no post."})

    assert response.status_code == 403
    assert Post.objects.filter(topic=topic).count() == 1


def test_full_conversation_in_french_pages_does_not_fail(login, category):
    french = UserFactory(language="fr")
    client = login(french, HTTP_ACCEPT_LANGUAGE="fr")
    new_topic(client, category)
    topic = Topic.objects.get()
    client.post(f"/t/{topic.pk}/reply/", {"body": "Merci beaucoup !"})
    for url in ("/", "/categories/", topic.get_absolute_url(), "/search/?q=descale", "/new-topic/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'lang="fr"' in response.content.decode()


def test_held_topic_tells_the_author_it_awaits_review(login, newcomer):
    premod = CategoryFactory(name="Pre-moderated", slug="premod", pre_moderated=True)
    client = login(newcomer)

    response = new_topic(client, premod)
    page = client.get(response["Location"])

    assert "awaiting review" in page.content.decode().lower()


def test_topic_factory_topics_show_up_for_others(client, topic):
    TopicFactory(category=topic.category)
    assert client.get("/").status_code == 200
