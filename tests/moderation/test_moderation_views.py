"""The moderation pages through the test client: /mod/ for moderators only, the members'
flag and appeal pages, and the queue page's query budget."""

from __future__ import annotations

import pytest
from django.test import Client

from moderation import services
from moderation.models import Appeal, Flag, FlagReason, ReviewItem
from tests.factories import TEST_PASSWORD, PostFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.urls("tests.moderation.urls_with_moderation")


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


@pytest.fixture
def flagged_item(member, post):
    services.flag_create(actor=member, post=post, reason=FlagReason.SPAM)
    return ReviewItem.objects.get(post=post)


def test_members_get_403_on_every_mod_page(member, flagged_item):
    client = client_for(member)
    for url in [
        "/mod/queue/",
        f"/mod/items/{flagged_item.pk}/",
        "/mod/staff/",
        "/mod/audit/",
    ]:
        assert client.get(url).status_code == 403, url
    for url in [
        "/mod/queue/bulk/",
        f"/mod/items/{flagged_item.pk}/claim/",
        f"/mod/items/{flagged_item.pk}/decide/",
    ]:
        assert client.post(url, {"action": "keep", "items": [flagged_item.pk]}).status_code == 403
    assert ReviewItem.objects.get().status == "pending"


def test_anonymous_visitors_are_sent_to_sign_in(flagged_item):
    response = Client().get("/mod/queue/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_moderator_sees_the_queue_and_decides_an_item(moderator, flagged_item, post):
    client = client_for(moderator)
    queue = client.get("/mod/queue/")
    assert queue.status_code == 200
    assert f"/mod/items/{flagged_item.pk}/".encode() in queue.content
    detail = client.get(f"/mod/items/{flagged_item.pk}/")
    assert detail.status_code == 200
    assert post.body.encode() in detail.content

    assert client.post(f"/mod/items/{flagged_item.pk}/claim/").status_code == 302
    refused = client.post(f"/mod/items/{flagged_item.pk}/decide/", {"action": "remove"})
    assert refused.status_code == 400  # a removal needs a reason
    response = client.post(
        f"/mod/items/{flagged_item.pk}/decide/", {"action": "remove", "reason": "Spam link"}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.state == "removed"


def test_the_queue_filters_by_reason(moderator, flagged_item):
    client = client_for(moderator)
    assert b"Profile of" not in client.get("/mod/queue/?reason=abusive").content
    page = client.get("/mod/queue/?reason=abusive")
    assert f"/mod/items/{flagged_item.pk}/".encode() not in page.content
    page = client.get("/mod/queue/?reason=spam")
    assert f"/mod/items/{flagged_item.pk}/".encode() in page.content


def test_bulk_keep_from_the_queue_page(moderator, member, make_post, author):
    posts = [make_post(author) for _ in range(2)]
    for post in posts:
        services.flag_create(actor=member, post=post, reason=FlagReason.OFF_TOPIC)
    ids = list(ReviewItem.objects.values_list("pk", flat=True))
    response = client_for(moderator).post("/mod/queue/bulk/", {"items": ids, "action": "keep"})
    assert response.status_code == 302
    assert set(ReviewItem.objects.values_list("status", flat=True)) == {"resolved"}


def test_a_member_flags_a_post_and_is_thanked(member, post):
    client = client_for(member)
    assert client.get(f"/p/{post.pk}/flag/").status_code == 200
    response = client.post(f"/p/{post.pk}/flag/", {"reason": "spam"}, follow=True)
    assert b"your flag was received" in response.content
    assert Flag.objects.filter(flagger=member, post=post).exists()

    again = client.post(f"/p/{post.pk}/flag/", {"reason": "abusive"})
    assert again.status_code == 400
    assert b"already flagged" in again.content


def test_something_else_without_a_note_is_sent_back(member, post):
    response = client_for(member).post(f"/p/{post.pk}/flag/", {"reason": "other"})
    assert response.status_code == 400
    assert b"a note is required" in response.content
    assert not Flag.objects.exists()


def test_a_new_member_cannot_flag(newcomer, post):
    response = client_for(newcomer).post(f"/p/{post.pk}/flag/", {"reason": "spam"}, follow=True)
    assert b"trust level 1" in response.content
    assert not Flag.objects.exists()


def test_the_author_appeals_from_their_history(off_duty, author, post, make_members):
    for flagger in make_members(3):
        services.flag_create(actor=flagger, post=post, reason=FlagReason.OFF_TOPIC)
    client = client_for(author)
    history = client.get("/my/moderation/")
    assert history.status_code == 200
    assert b"the community&#x27;s flags" in history.content
    assert f"/p/{post.pk}/appeal/".encode() in history.content
    for flagger in Flag.objects.values_list("flagger_name", flat=True):
        assert flagger.encode() not in history.content

    response = client.post(f"/p/{post.pk}/appeal/", {"message": "It was on topic."})
    assert response.status_code == 302
    assert Appeal.objects.get().author == author


def test_brand_staff_open_the_staff_queue(brand_staff, member, post):
    services.flag_create(actor=member, post=post, reason=FlagReason.NEEDS_OFFICIAL_ANSWER)
    response = client_for(brand_staff).get("/mod/staff/")
    assert response.status_code == 200
    assert post.topic.title.encode() in response.content
    assert client_for(brand_staff).get("/mod/queue/").status_code == 403


def test_the_guidelines_page_lists_the_rules(moderator):
    services.community_rule_create(actor=moderator, number=1, title="Be kind")
    response = Client().get("/guidelines/")
    assert response.status_code == 200
    assert b"Be kind" in response.content


def test_the_public_log_is_404_until_switched_on(moderator, category):
    assert Client().get(f"/c/{category.slug}/moderation-log/").status_code == 404
    services.category_public_log_set(actor=moderator, category=category, enabled=True)
    assert Client().get(f"/c/{category.slug}/moderation-log/").status_code == 200


def _fill(count, category, author, start=0):
    flaggers = [UserFactory(trust_level=1) for _ in range(3)]
    for n in range(start, start + count):
        topic = TopicFactory(
            category=category, author=author, title=f"Topic number {n:03d}", body=f"Opening {n}"
        )
        post = PostFactory(topic=topic, author=author, body=f"Reply {n}")
        for flagger in flaggers:
            services.flag_create(actor=flagger, post=post, reason=FlagReason.OFF_TOPIC)


def test_the_queue_page_costs_the_same_queries_with_3_and_50_items(
    settings, on_duty, moderator, category, author, django_assert_max_num_queries
):
    settings.MODERATION_HIDE_SCORE = 1000.0
    settings.MODERATION_DAILY_FLAG_LIMITS = {}
    client = client_for(moderator)
    client.get("/mod/queue/")  # the day's first visit is counted once (accounts middleware)
    counts = []
    for count, start in ((3, 0), (47, 3)):
        _fill(count, category, author, start=start)
        with django_assert_max_num_queries(15) as captured:
            response = client.get("/mod/queue/")
        assert response.status_code == 200
        counts.append(len(captured))
    assert ReviewItem.objects.count() == 50
    assert response.content.count(b'name="items"') == 50
    assert counts[0] == counts[1]


def test_moderators_write_notes_on_a_profile_that_members_do_not_see(moderator, member, author):
    client = client_for(moderator)
    response = client.post(f"/mod/members/{author.username}/notes/", {"body": "Watch the tone."})
    assert response.status_code == 302
    assert b"Watch the tone." in client.get(f"/u/{author.username}/").content

    page = client_for(member).get(f"/u/{author.username}/")
    assert b"Watch the tone." not in page.content
    assert f"/u/{author.username}/flag/".encode() in page.content
    assert (
        client_for(member).post(f"/mod/members/{author.username}/notes/", {"body": "x"}).status_code
        == 403
    )


def test_the_audit_log_shows_actions_roles_and_values_in_words(
    administrator, moderator, author, flagged_item, category
):
    services.item_decide(actor=moderator, item=flagged_item, action="hide", reason="Spam link")
    services.sanction_create(
        actor=moderator, member=author, kind="silence", days=1, reason="Calm down"
    )
    services.category_public_log_set(actor=administrator, category=category, enabled=True)
    page = client_for(administrator).get("/mod/audit/")
    assert page.status_code == 200
    cells = page.content.decode()
    for words in (
        "Flag raised",
        "Hide",  # item.hide: the decision's own label
        "Silenced (read-only)",  # sanction.silence
        "Public moderation log switched",
        "<td>Spam</td>",  # the flag's reason
        '<span class="muted small">member</span>',  # roles, in words
        '<span class="muted small">moderator</span>',
        '<span class="muted small">administrator</span>',
        "state: Hidden",  # PostgreSQL's jsonb orders the keys its own way
        "flags: Agreed",
        "public log: no → public log: yes",
    ):
        assert words in cells, words
    for code in (">flag.create<", ">item.hide<", ">sanction.silence<", "'state'", "<td>spam</td>"):
        assert code not in cells, code


def test_every_audit_action_the_services_record_has_words(moderator):
    from pathlib import Path

    from moderation.models import Action, Sanction
    from moderation.views import audit_action_label

    source = "".join(
        path.read_text() for path in Path("moderation").glob("*.py") if path.name != "views.py"
    )
    import re

    codes = set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', source))
    codes |= {f"item.{value}" for value in Action.values}
    codes |= {f"sanction.{value}" for value in Sanction.Kind.values}
    codes |= {f"appeal.{value}" for value in ("granted", "denied")}
    codes |= {f"post.{value}" for value in ("visible", "held", "hidden", "removed", "deleted")}
    assert len(codes) > 40
    for code in sorted(codes):
        assert audit_action_label(code) != code, code


def test_the_queue_counts_reasons_in_words(moderator, flagged_item):
    page = client_for(moderator).get("/mod/queue/").content.decode()
    assert 'href="?reason=spam">Spam <span class="badge">1</span>' in page
    assert 'href="?reason=off_topic">Off-topic <span class="badge">0</span>' in page
