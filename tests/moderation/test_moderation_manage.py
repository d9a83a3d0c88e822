"""The community managers' pages (watched words and their test box, rules, removal reasons,
public logs), the administrators' coverage hours, the flag page's explanations and the
queue's keyboard-driven forms, through the test client."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from community.models import ContentState
from moderation import coverage, selectors, services
from moderation.models import (
    CategoryPolicy,
    CommunityRule,
    CoverageWindow,
    FlagAllowance,
    FlagReason,
    RemovalReason,
    ReviewItem,
    WatchedWord,
)
from tests.factories import TEST_PASSWORD, PostFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


LIST_PAGES = ["/mod/watched-words/", "/mod/rules/", "/mod/removal-reasons/", "/mod/public-logs/"]


# --- Who may open what --------------------------------------------------------------------------


def test_lists_are_for_community_managers_and_coverage_for_administrators(
    member, category_moderator, moderator, administrator
):
    for url in LIST_PAGES:
        assert client_for(member).get(url).status_code == 403, url
        assert client_for(category_moderator).get(url).status_code == 403, url
        assert client_for(moderator).get(url).status_code == 200, url
    assert client_for(moderator).get("/mod/coverage/").status_code == 403
    assert client_for(administrator).get("/mod/coverage/").status_code == 200
    assert Client().get("/mod/rules/").status_code == 302  # sign in first


def test_the_moderation_tabs_follow_the_roles(category_moderator, moderator, administrator):
    def tabs(user):
        return client_for(user).get("/mod/queue/").content.decode()

    assert "Watched words" not in tabs(category_moderator)
    assert "Watched words" in tabs(moderator)
    assert "Coverage hours" not in tabs(moderator)
    assert "Coverage hours" in tabs(administrator)


# --- Watched words ------------------------------------------------------------------------------


def test_a_manager_adds_edits_and_deletes_a_watched_word(moderator):
    client = client_for(moderator)
    response = client.post(
        "/mod/watched-words/", {"pattern": "crypto*", "action": "hold"}, follow=True
    )
    assert "Watched word added." in response.content.decode()
    word = WatchedWord.objects.get()
    assert (word.pattern, word.action, word.created_by) == ("crypto*", "hold", moderator)
    assert "<code>crypto*</code>" in response.content.decode()

    response = client.post(
        f"/mod/watched-words/{word.pk}/",
        {"pattern": "crypto*", "action": "replace", "replacement": "[coin]"},
    )
    assert response.status_code == 302
    word.refresh_from_db()
    assert (word.action, word.replacement) == ("replace", "[coin]")

    assert client.post(f"/mod/watched-words/{word.pk}/delete/").status_code == 302
    assert not WatchedWord.objects.exists()
    assert client.get(f"/mod/watched-words/{word.pk}/delete/").status_code == 405


def test_an_unsafe_pattern_is_sent_back_with_the_reason(moderator):
    response = client_for(moderator).post(
        "/mod/watched-words/", {"pattern": "(a+)+", "action": "block", "is_regex": "on"}
    )
    assert response.status_code == 400
    assert "field--invalid" in response.content.decode()
    assert not WatchedWord.objects.exists()


def test_the_test_box_answers_a_fragment_with_matches_and_the_replaced_text(moderator):
    services.watched_word_create(actor=moderator, pattern="darn", action="replace")
    services.watched_word_create(actor=moderator, pattern="refund", action="hold")
    client = client_for(moderator)

    response = client.post(
        "/mod/watched-words/test/", {"test-text": "Darn it, I want a refund."}, **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "<form" not in html  # the result only: the form stays in the page
    assert "would be held for review" in html
    assert "<mark>Darn</mark>" in html
    assert "<mark>refund</mark>" in html
    assert "■■■ it, I want a refund." in html
    assert not ReviewItem.objects.exists()  # nothing is saved

    clean = client.post("/mod/watched-words/test/", {"test-text": "All fine here."}, **HTMX)
    assert "No watched word matches this text." in clean.content.decode()


def test_the_test_box_tries_a_candidate_pattern_and_explains_an_unsafe_one(moderator):
    client = client_for(moderator)
    candidate = client.post(
        "/mod/watched-words/test/",
        {"test-text": "Buy BTC now", "test-pattern": r"\bbtc\b", "test-is_regex": "on"},
        **HTMX,
    )
    assert "<mark>BTC</mark>" in candidate.content.decode()

    unsafe = client.post(
        "/mod/watched-words/test/",
        {"test-text": "aaaa", "test-pattern": "(a|aa)+", "test-is_regex": "on"},
        **HTMX,
    )
    assert unsafe.status_code == 400
    assert "notice--danger" in unsafe.content.decode()
    assert "<form" not in unsafe.content.decode()


def test_without_javascript_the_test_box_answers_the_whole_page(moderator):
    services.watched_word_create(actor=moderator, pattern="darn", action="flag")
    response = client_for(moderator).post("/mod/watched-words/test/", {"test-text": "darn"})
    html = response.content.decode()
    assert "<html" in html
    assert "would be published and queued for review" in html


# --- Rules and removal reasons ------------------------------------------------------------------


def test_rules_are_numbered_in_order_and_shown_on_the_guidelines(moderator):
    client = client_for(moderator)
    client.post("/mod/rules/", {"number": 2, "title": "Stay on topic"})
    assert 'value="3"' in client.get("/mod/rules/").content.decode()  # next number offered
    client.post("/mod/rules/", {"number": 1, "title": "Be kind", "description": "Always."})
    duplicate = client.post("/mod/rules/", {"number": 1, "title": "Again"})
    assert duplicate.status_code == 400
    assert "Another rule has this number." in duplicate.content.decode()

    guidelines = Client().get("/guidelines/").content.decode()
    assert guidelines.index("Be kind") < guidelines.index("Stay on topic")

    rule = CommunityRule.objects.get(number=2)
    response = client.post(f"/mod/rules/{rule.pk}/", {"number": 2, "title": "Stay on topic"})
    assert response.status_code == 302  # "active" unticked: retired
    assert "Stay on topic" not in Client().get("/guidelines/").content.decode()
    assert "Retired" in client.get("/mod/rules/").content.decode()

    client.post(f"/mod/rules/{rule.pk}/delete/")
    assert list(CommunityRule.objects.values_list("number", flat=True)) == [1]


def test_removal_reasons_cite_a_rule_and_keep_their_order(moderator):
    rule = services.community_rule_create(actor=moderator, number=1, title="No spam")
    client = client_for(moderator)
    client.post(
        "/mod/removal-reasons/",
        {"title": "Advertising", "message": "This advertises.", "rule": rule.pk, "position": 20},
    )
    client.post(
        "/mod/removal-reasons/",
        {"title": "Off-topic", "message": "Not the place.", "position": 10},
    )
    assert list(RemovalReason.objects.values_list("title", flat=True)) == [
        "Off-topic",
        "Advertising",
    ]
    assert RemovalReason.objects.get(title="Advertising").rule == rule
    reason = RemovalReason.objects.get(title="Off-topic")
    client.post(
        f"/mod/removal-reasons/{reason.pk}/",
        {"title": "Off-topic", "message": "Not the place.", "position": 30},
    )
    reason.refresh_from_db()
    assert (reason.position, reason.active) == (30, False)
    page = client.get("/mod/removal-reasons/").content.decode()
    assert "Retired" in page
    client.post(f"/mod/removal-reasons/{reason.pk}/delete/")
    assert RemovalReason.objects.count() == 1


def test_a_bulk_removal_can_take_a_ready_made_reason(moderator, member, make_post, author):
    reason = services.removal_reason_create(
        actor=moderator, title="Advertising", message="This advertises a product."
    )
    posts = [make_post(author) for _ in range(2)]
    for post in posts:
        services.flag_create(actor=member, post=post, reason=FlagReason.SPAM)
    ids = list(ReviewItem.objects.values_list("pk", flat=True))
    response = client_for(moderator).post(
        "/mod/queue/bulk/", {"items": ids, "action": "remove", "removal_reason": reason.pk}
    )
    assert response.status_code == 302
    for post in posts:
        post.refresh_from_db()
        assert (post.state, post.state_reason) == (
            ContentState.REMOVED,
            "This advertises a product.",
        )


def test_the_queue_offers_the_removal_reasons_in_its_remove_dialog(moderator, member, post):
    services.removal_reason_create(actor=moderator, title="Advertising", message="Ads.")
    services.flag_create(actor=member, post=post, reason=FlagReason.SPAM)
    html = client_for(moderator).get("/mod/queue/").content.decode()
    assert '<dialog id="queue-remove"' in html
    assert '<dialog id="queue-help"' in html
    assert "<kbd>1</kbd> <strong>Advertising</strong>" in html
    assert 'src="/static/moderation/queue.js"' in html
    assert "<script>" not in html  # no inline script (CSP)


# --- Public logs ---------------------------------------------------------------------------------


def test_a_manager_switches_a_categorys_public_log(moderator, category):
    client = client_for(moderator)
    assert Client().get(f"/c/{category.slug}/moderation-log/").status_code == 404
    response = client.post("/mod/public-logs/", {"category": category.pk, "enabled": "1"})
    assert response.status_code == 302
    assert CategoryPolicy.objects.get(category=category).public_log
    assert Client().get(f"/c/{category.slug}/moderation-log/").status_code == 200
    assert f"/c/{category.slug}/moderation-log/" in client.get("/mod/public-logs/").content.decode()

    client.post("/mod/public-logs/", {"category": category.pk, "enabled": "0"})
    assert Client().get(f"/c/{category.slug}/moderation-log/").status_code == 404
    assert client.post("/mod/public-logs/", {"category": "x"}).status_code == 302


# --- Coverage hours ------------------------------------------------------------------------------


def _coverage_data(**days) -> dict:
    """`_coverage_data(day0=("09:00", "18:00"), day5="all")`; other days empty."""
    data = {}
    for weekday in range(7):
        value = days.get(f"day{weekday}")
        if value == "all":
            data[f"day{weekday}-all_day"] = "on"
        elif value:
            data[f"day{weekday}-start"], data[f"day{weekday}-end"] = value
    return data


def test_the_default_hours_show_until_an_administrator_saves(administrator):
    html = client_for(administrator).get("/mod/coverage/").content.decode()
    assert "the default hours below apply" in html
    assert 'name="day0-start" value="09:00"' in html
    assert 'name="day5-start"' in html and 'name="day5-start" value' not in html


def test_coverage_hours_are_saved_per_weekday_across_midnight_and_all_day(administrator):
    client = client_for(administrator)
    response = client.post(
        "/mod/coverage/",
        _coverage_data(day0=("09:00", "18:00"), day4=("20:00", "02:00"), day6="all"),
    )
    assert response.status_code == 302
    windows = sorted(CoverageWindow.objects.values_list("weekday", "start_minute", "end_minute"))
    assert windows == [(0, 540, 1080), (4, 1200, 1440), (5, 0, 120), (6, 0, 1440)]
    html = client.get("/mod/coverage/").content.decode()
    # Friday's evening is read back as one span, Saturday stays empty.
    assert 'name="day4-start" value="20:00"' in html
    assert 'name="day4-end" value="02:00"' in html
    assert 'name="day5-start" value' not in html
    assert 'name="day6-all_day" id="id_day6-all_day" checked' in html
    assert "Last saved by" in html


def test_coverage_errors_name_the_day_and_save_nothing(administrator):
    client = client_for(administrator)
    response = client.post(
        "/mod/coverage/", _coverage_data(day1=("09:00", ""), day2=("10:00", "10:00"))
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Tuesday: give both a start and an end time" in html
    assert "Wednesday: the start and the end are the same time" in html
    assert not CoverageWindow.objects.exists()
    bad = client.post("/mod/coverage/", {"day0-start": "25:00", "day0-end": "26:00"})
    assert bad.status_code == 400


def test_an_empty_schedule_means_nobody_is_ever_on_duty(administrator):
    response = client_for(administrator).post("/mod/coverage/", _coverage_data())
    assert response.status_code == 302
    assert selectors.coverage_windows() == []


def test_day_spans_round_trip_through_stored_windows():
    spans = [
        coverage.DaySpan(0, 9 * 60, 18 * 60),
        coverage.DaySpan(1, 22 * 60, 0),  # until midnight
        coverage.DaySpan(6, 21 * 60, 3 * 60),  # Sunday night into Monday
        coverage.DaySpan(3, all_day=True),
    ]
    mapping = coverage.windows_from_spans(spans)
    assert mapping[0] == [("00:00", "03:00"), ("09:00", "18:00")]
    back = coverage.spans_from_windows(coverage.windows_from_mapping(mapping))
    assert back[0] == [coverage.DaySpan(0, 9 * 60, 18 * 60)]
    assert back[1] == [coverage.DaySpan(1, 22 * 60, 0)]
    assert back[6] == [coverage.DaySpan(6, 21 * 60, 3 * 60)]
    assert back[3] == [coverage.DaySpan(3, all_day=True)]
    with pytest.raises(ValueError):
        coverage.DaySpan(2, 600, 600)


def test_a_morning_after_a_short_evening_stays_its_own_span():
    # Monday 20:00-24:00 then Tuesday 00:00-23:00: Tuesday's window does not end before
    # Monday's started, so it is not Monday's night.
    windows = coverage.windows_from_mapping({0: [("20:00", "24:00")], 1: [("00:00", "23:00")]})
    back = coverage.spans_from_windows(windows)
    assert back[0] == [coverage.DaySpan(0, 20 * 60, 0)]
    assert back[1] == [coverage.DaySpan(1, 0, 23 * 60)]


# --- The flag page explains --------------------------------------------------------------------


def test_a_new_member_reads_why_they_cannot_flag_before_filling_anything(newcomer, post):
    response = client_for(newcomer).get(f"/p/{post.pk}/flag/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "You can flag once you reach trust level 1." in html
    assert 'name="reason"' not in html


def test_the_author_is_told_they_cannot_flag_their_own_post(author, post, topic):
    html = client_for(author).get(f"/p/{post.pk}/flag/").content.decode()
    assert "You cannot flag your own post." in html
    assert "You cannot flag your own topic." in (
        client_for(topic.author).get(f"/t/{topic.pk}/flag/").content.decode()
    )


def test_the_flag_page_counts_the_flags_left_today(settings, member, post, author, make_post):
    settings.MODERATION_DAILY_FLAG_LIMITS = {1: 2}
    client = client_for(member)
    assert "You can flag 2 more times today." in client.get(f"/p/{post.pk}/flag/").content.decode()
    FlagAllowance.objects.create(user=member, day=timezone.localdate(), count=2)
    other = make_post(author)
    html = client.get(f"/p/{other.pk}/flag/").content.decode()
    assert "You have used all your flags for today." in html


def test_the_topic_pages_flag_link_leads_to_a_working_flag(member, topic, author):
    reply = PostFactory(topic=topic, author=author, body="A reply somebody will flag.")
    client = client_for(member)
    assert f'href="/p/{reply.pk}/flag/"' in client.get(topic.get_absolute_url()).content.decode()
    response = client.post(f"/p/{reply.pk}/flag/", {"reason": "off_topic"}, follow=True)
    assert "your flag was received" in response.content.decode()
    assert ReviewItem.objects.get().post == reply
