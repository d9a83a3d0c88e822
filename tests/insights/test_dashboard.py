"""The dashboard's doors (who may see it), its query budget, its filters and its charts."""

from __future__ import annotations

import datetime as dt

import pytest

from insights.models import DailyMetric
from tests.factories import CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "/insights/",
    "/insights/chart/activity.svg",
    "/insights/chart/response.svg",
    "/insights/reports/",
    *(
        f"/insights/export/{table}.{fmt}"
        for table in ("kpis", "series", "categories", "teams")
        for fmt in ("csv", "xlsx")
    ),
]


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def moderator(db):
    return UserFactory(moderator=True)


@pytest.fixture
def member(db):
    return UserFactory(trust_level=3)


@pytest.mark.parametrize("url", PAGES)
def test_members_get_403_and_visitors_are_sent_to_sign_in(client, login, member, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert login(member).get(url).status_code == 403


@pytest.mark.parametrize("role", ["moderator", "brand_staff", "administrator"])
def test_moderators_staff_and_administrators_see_the_dashboard(login, role):
    user = UserFactory(**{role: True})
    response = login(user).get("/insights/")
    assert response.status_code == 200
    assert b'href="/insights/" aria-current="page"' in response.content


def test_the_navigation_links_to_insights_only_for_those_who_may_see_it(login, member, moderator):
    assert b'href="/insights/"' not in login(member).get("/").content
    assert b'href="/insights/"' in login(moderator).get("/").content


def _fill(days: int, categories) -> None:
    last = dt.date(2026, 6, 30)
    rows = []
    for n in range(days):
        day = last - dt.timedelta(days=n)
        for category in [None, *categories]:
            rows.append(
                DailyMetric(
                    day=day,
                    category=category,
                    new_members=None if category else 2,
                    active_members=10,
                    topics=3,
                    posts=12,
                    votes=20,
                    flags=1,
                    hidden_by_community=1,
                    hidden_by_moderators=n % 2,
                    unanswered_questions=4,
                    first_reply_median=3600,
                    first_reply_count=3,
                    first_reply_samples=[600, 3600, 7200],
                    flag_decision_median=1800,
                    flag_decision_count=1,
                    flag_decision_samples=[1800],
                )
            )
    DailyMetric.objects.bulk_create(rows)


@pytest.mark.parametrize("days", [3, 730])
@pytest.mark.parametrize("granularity", ["day", "month"])
def test_dashboard_query_budget_is_the_same_for_three_days_and_two_years(
    login, moderator, django_assert_max_num_queries, days, granularity
):
    categories = [CategoryFactory() for _ in range(3)]
    _fill(days, categories)
    client = login(moderator)
    start = dt.date(2026, 6, 30) - dt.timedelta(days=days - 1)
    params = {
        "range": "custom",
        "start": start.isoformat(),
        "end": "2026-06-30",
        "granularity": granularity,
    }
    with django_assert_max_num_queries(15):
        response = client.get("/insights/", params)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-kpi="posts" data-value="{12 * days}"' in html
    assert 'data-kpi="first_reply_median" data-value="1.0"' in html
    assert 'data-kpi="unanswered_questions" data-value="4"' in html
    with django_assert_max_num_queries(15):
        response = client.get("/insights/", {**params, "category": categories[0].slug})
    assert 'data-kpi="new_members"' not in response.content.decode()
    with django_assert_max_num_queries(8):
        assert client.get("/insights/chart/activity.svg", params).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get("/insights/export/series.xlsx", params).status_code == 200


def test_bad_filters_show_errors_not_a_500(login, moderator):
    client = login(moderator)
    response = client.get(
        "/insights/", {"range": "custom", "start": "2026-05-10", "end": "2026-05-01"}
    )
    assert response.status_code == 200
    assert b"The start date must be before the end date." in response.content
    for params in (
        {"range": "custom", "start": "yesterday"},
        {"range": "decade"},
        {"granularity": "hour", "category": "no-such-category"},
        {"range": "custom", "start": "2000-01-01", "end": "2026-01-01"},
    ):
        assert client.get("/insights/", params).status_code == 200
        assert client.get("/insights/export/kpis.csv", params).status_code == 200
    assert client.get("/insights/export/nothing.csv").status_code == 404
    assert client.get("/insights/export/kpis.pdf").status_code == 404
    assert client.get("/insights/chart/nothing.svg").status_code == 404


def test_charts_are_images_without_scripts_with_a_table_view(login, moderator):
    _fill(40, [])
    client = login(moderator)
    params = {"range": "custom", "start": "2026-06-01", "end": "2026-06-30"}
    page = client.get("/insights/", params).content.decode()
    assert page.count("table view</summary>") == page.count('<img src="/insights/chart/') == 7
    chart = client.get("/insights/chart/activity.svg", params)
    assert chart["Content-Type"].startswith("image/svg+xml")
    assert chart["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    body = chart.content.decode()
    assert body.startswith("<svg") and "<script" not in body
    # The page's own policy is untouched: no inline styles or scripts were allowed for it.
    response = client.get("/insights/", params)
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_presets_end_yesterday_and_compare_with_the_period_before(login, moderator):
    from insights import metrics

    today = metrics.local_today()
    response = login(moderator).get("/insights/", {"range": "7d"})
    period = response.context["period"]
    assert period.end == today - dt.timedelta(days=1)
    assert period.days == 7
    assert period.previous.end == period.start - dt.timedelta(days=1)
    assert period.previous.days == 7
    assert (
        login(moderator).get("/insights/", {"range": "12m"}).context["period"].granularity
        == "month"
    )
