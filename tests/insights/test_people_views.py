"""Pages of people and e-reputation watch: permissions, query budgets, exports, forms."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from community import services as community_services
from insights import people, watch
from insights.models import Alert, Ambassador, WatchedTerm
from tests.factories import UserFactory
from tests.insights.fixtures_people import *  # noqa: F403

pytestmark = pytest.mark.django_db

BUDGET = 15  # the dashboard budget, kept for these pages too

GET_PAGES = [
    ("insights:influencers", {}),
    ("insights:rising", {}),
    ("insights:ambassadors", {}),
    ("insights:watch", {}),
    ("insights:alert_list", {}),
    ("insights:influencers_export", {"fmt": "csv"}),
    ("insights:influencers_export", {"fmt": "xlsx"}),
    ("insights:watch_export", {"fmt": "csv"}),
    ("insights:watch_export", {"fmt": "xlsx"}),
]


@pytest.fixture
def term(moderator):
    return watch.watched_term_create(actor=moderator, term="Aurora", kind="brand")


@pytest.fixture
def alert(term):
    now = timezone.now()
    watch.mention_hour_add(term_id=term.pk, hour=now, count=30)
    (alert,) = watch.spikes_check(now=now)
    return alert


def _urls(term, alert, member):
    urls = [reverse(name, kwargs=kwargs) for name, kwargs in GET_PAGES]
    urls += [
        reverse("insights:watch_detail", args=[term.pk]),
        reverse("insights:watch_chart", args=[term.pk]),
    ]
    return urls


def test_members_get_403_on_every_page_and_action(client_for, member, other_member, term, alert):
    client = client_for(member)
    for url in _urls(term, alert, member):
        assert client.get(url).status_code == 403, url
    posts = [
        (reverse("insights:ambassadors"), {"username": other_member.username}),
        (reverse("insights:ambassador_toggle", args=[other_member.username]), {"action": "mark"}),
        (reverse("insights:watch"), {"term": "Kettlex", "kind": "competitor"}),
        (reverse("insights:watch_detail", args=[term.pk]), {"term": "X", "kind": "brand"}),
        (reverse("insights:alert_acknowledge", args=[alert.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert not Ambassador.objects.exists()
    assert WatchedTerm.objects.count() == 1
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_anonymous_visitors_are_sent_to_sign_in(client, term, alert, member):
    for url in _urls(term, alert, member):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


@pytest.mark.parametrize("role", ["moderator", "brand_staff", "administrator"])
def test_cms_and_staff_open_every_page(request, role, client_for, term, alert, member):
    client = client_for(request.getfixturevalue(role))
    for url in _urls(term, alert, member):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("size", [3, 50])
def test_influencers_page_stays_within_budget(
    size, client_for, brand_staff, moderator, member, say, django_assert_max_num_queries
):
    topic = say(member, "Everybody reply here").topic
    for number in range(size):
        author = UserFactory(trust_level=2)
        post = say(author, f"Reply {number}", topic=topic)
        community_services.vote_cast(actor=member, post=post, value=1)
        if number % 2:
            people.ambassador_mark(actor=moderator, member=author)
    client = client_for(brand_staff)
    client.get("/")  # the day's visit is recorded once: not the page's cost
    with django_assert_max_num_queries(BUDGET):
        response = client.get(reverse("insights:influencers"), {"days": 7})
    assert response.status_code == 200
    rows = response.context["ranking"].rows
    assert len(rows) == min(size + 1, people.conf("INFLUENCE_LIMIT"))
    assert response.context["ranking"].total == size + 1
    shown = sum(row.is_ambassador for row in rows)
    assert shown >= size // 2 - 1
    assert response.content.decode().count("badge--ambassador") == shown


@pytest.mark.parametrize("size", [3, 50])
def test_rising_and_ambassadors_pages_stay_within_budget(
    size, client_for, moderator, member, say, django_assert_max_num_queries
):
    topic = say(member, "Welcome thread").topic
    for number in range(size):
        author = UserFactory(trust_level=1)
        for reply in range(3):
            say(author, f"Hello {number}.{reply}", topic=topic)
        people.ambassador_mark(actor=moderator, member=author)
    client = client_for(moderator)
    client.get("/")
    with django_assert_max_num_queries(BUDGET):
        response = client.get(reverse("insights:rising"))
    assert len(response.context["rows"]) == size
    assert response.content.decode().count('class="button button--small" href="/u/') == size
    with django_assert_max_num_queries(BUDGET):
        response = client.get(reverse("insights:ambassadors"))
    assert len(response.context["ambassadors"]) == size


def test_influencers_period_filter_rejects_nonsense_without_error(client_for, brand_staff):
    response = client_for(brand_staff).get(reverse("insights:influencers"), {"days": "banana"})
    assert response.status_code == 200
    assert response.context["days"] == 30


def test_xlsx_and_csv_exports_hold_the_period_and_the_page_figures(
    client_for, brand_staff, member, other_member, say
):
    from openpyxl import load_workbook

    topic = say(member, "Kettle talk").topic
    post = say(other_member, "A reply", topic=topic)
    community_services.vote_cast(actor=member, post=post, value=1)
    client = client_for(brand_staff)
    page = client.get(reverse("insights:influencers"), {"days": 7}).context["ranking"]
    expected = {(row.member.username, row.score) for row in page.rows}

    response = client.get(reverse("insights:influencers_export", args=["xlsx"]), {"days": 7})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Influencers"
    assert rows[1][0] == "Period" and "UTC" in rows[1][1]
    assert rows[3][0] == "Days" and rows[3][1] == 7
    header = rows[5]
    table = [dict(zip(header, row, strict=True)) for row in rows[6:]]
    assert {(r["Member"], r["Score"]) for r in table} == expected
    alice = next(r for r in table if r["Member"] == "alice")
    assert (alice["Replies received"], alice["New followers"]) == (1, 1)

    response = client.get(reverse("insights:influencers_export", args=["csv"]), {"days": 7})
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == ["Influencers"] and lines[1][0] == "Period"
    header = lines[5]
    assert {(r[header.index("Member")], int(r[header.index("Score")])) for r in lines[6:]} == (
        expected
    )


def test_an_unknown_export_format_is_404(client_for, brand_staff):
    url = reverse("insights:influencers_export", args=["pdf"])
    assert client_for(brand_staff).get(url).status_code == 404


def test_exports_keep_formulas_from_running(client_for, brand_staff, moderator):
    watch.watched_term_create(actor=moderator, term="=HYPERLINK(1)", kind="buzz")
    term = WatchedTerm.objects.get()
    watch.mention_hour_add(term_id=term.pk, hour=timezone.now())
    response = client_for(brand_staff).get(reverse("insights:watch_export", args=["csv"]))
    assert "'=HYPERLINK(1)" in response.content.decode("utf-8-sig")


def test_a_cm_names_an_ambassador_from_the_profile_and_everyone_sees_the_badge(
    client_for, client, moderator, member
):
    profile = reverse("accounts:profile", args=[member.username])
    response = client_for(moderator).post(
        reverse("insights:ambassador_toggle", args=[member.username]),
        {"action": "mark", "note": "Answers every kettle question", "next": profile},
    )
    assert response.status_code == 302 and response["Location"] == profile
    ambassador = Ambassador.objects.get()
    assert (ambassador.member, ambassador.appointed_by) == (member, moderator)
    html = client.get(profile).content.decode()
    assert "badge--ambassador" in html
    assert "Answers every kettle question" not in html  # the note is for CMs
    assert "Name ambassador" not in html


def test_brand_staff_see_but_do_not_name_ambassadors(client_for, brand_staff, member):
    client = client_for(brand_staff)
    assert "Name an ambassador" not in client.get(reverse("insights:ambassadors")).content.decode()
    response = client.post(reverse("insights:ambassadors"), {"username": member.username})
    assert response.status_code == 403
    response = client.post(
        reverse("insights:ambassador_toggle", args=[member.username]), {"action": "mark"}
    )
    assert response.status_code == 403
    assert not Ambassador.objects.exists()


def test_the_ambassador_form_reports_unknown_members(client_for, moderator):
    response = client_for(moderator).post(
        reverse("insights:ambassadors"), {"username": "nobody-here"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["username"]
    assert not Ambassador.objects.exists()


@pytest.mark.parametrize("size", [3, 50])
def test_profile_with_the_ambassador_section_stays_within_budget(
    size, client_for, moderator, member, say, django_assert_max_num_queries
):
    topic = say(member, "My topic").topic
    for number in range(size):
        say(member, f"Post {number}", topic=topic)
    people.ambassador_mark(actor=moderator, member=member)
    client = client_for(moderator)
    client.get("/")
    with django_assert_max_num_queries(12):  # the profile's budget (tests/community)
        response = client.get(reverse("accounts:profile", args=[member.username]))
    assert "badge--ambassador" in response.content.decode()


def test_rising_members_page_links_to_welcome_them(client_for, moderator, member, say):
    topic = say(moderator, "Welcome thread").topic
    for number in range(3):
        say(member, f"Hello {number}", topic=topic)
    response = client_for(moderator).get(reverse("insights:rising"))
    assert f'href="{member.get_absolute_url()}"' in response.content.decode()
    assert response.context["rows"][0].member == member


def test_rising_days_setting_moves_the_window(client_for, moderator, member, say, settings):
    topic = say(moderator, "Welcome thread").topic
    for number in range(3):
        say(member, f"Hello {number}", topic=topic)
    type(member).objects.filter(pk=member.pk).update(
        date_joined=timezone.now() - timedelta(days=10)
    )
    settings.INSIGHTS_RISING_DAYS = 7
    assert people.rising_members() == []
    settings.INSIGHTS_RISING_DAYS = 14
    assert [row.member for row in people.rising_members()] == [member]


def test_alert_page_acknowledges_an_alert(client_for, moderator, alert):
    client = client_for(moderator)
    page = client.get(reverse("insights:alert_list")).content.decode()
    assert "Acknowledge" in page and "Aurora" in page
    response = client.post(reverse("insights:alert_acknowledge", args=[alert.pk]))
    assert response.status_code == 302
    alert = Alert.objects.get()
    assert alert.acknowledged_by == moderator and alert.acknowledged_at is not None
    assert "by camille" in client.get(reverse("insights:alert_list")).content.decode()
