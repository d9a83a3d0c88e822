"""The community manager's insights in Chromium: the dashboard (period and category chosen with
the keyboard, a chart's table view, the XLSX export opened with openpyxl), the influencers and
ambassadors, and the e-reputation watch."""

from __future__ import annotations

import datetime as dt
import re

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from insights import metrics
from insights import services as insights_services
from insights.models import Ambassador, WatchedTerm
from tests.e2e.journeys import sign_in, tab_to
from tests.factories import CategoryFactory, PostFactory, TopicFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fast_site(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.COMMUNITY_DAILY_LIMITS = {}


def _community():
    """Two categories; topics over the last days (3 in "aurora", 1 in "boreal", one of them
    twelve days ago) with replies by a regular; the metrics computed for the last 14 days."""
    today = metrics.local_today()
    aurora = CategoryFactory(name="Aurora kettles", slug="aurora", position=0)
    boreal = CategoryFactory(name="Boreal toasters", slug="boreal", position=1)
    author = UserFactory(username="author_al")
    helper = UserFactory(username="helpful_hana", display_name="Hana Helps")

    def at(days_ago: int) -> dt.datetime:
        local = dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(12))
        return timezone.make_aware(local, metrics.local_tz())

    topics = [
        TopicFactory(category=aurora, author=author, title="Kettle whistles", created_at=at(1)),
        TopicFactory(category=aurora, author=author, title="Kettle leaks", created_at=at(3)),
        TopicFactory(category=aurora, author=author, title="Kettle is slow", created_at=at(12)),
        TopicFactory(category=boreal, author=author, title="Toaster burns", created_at=at(2)),
    ]
    for topic in topics:
        PostFactory(topic=topic, author=helper, body="Descale it with citric acid, it works.")
    insights_services.metrics_range_compute(
        start=today - dt.timedelta(days=14), end=today - dt.timedelta(days=1)
    )
    return helper


def _kpi(page: Page, key: str) -> str:
    return page.locator(f'.kpi[data-kpi="{key}"]').get_attribute("data-value") or ""


def test_a_community_manager_filters_the_dashboard_with_the_keyboard_and_exports_it(
    page: Page, live_server, browser_watch, tmp_path
):
    _community()
    manager = UserFactory(username="cm_camille", moderator=True)
    sign_in(page, live_server, manager)
    page.goto("/insights/")
    expect(page.get_by_role("heading", name="Community dashboard", level=1)).to_be_visible()

    # The default period is the last 30 days, and the select says so.
    period = page.get_by_role("combobox", name="Period")
    expect(period).to_have_value("30d")
    assert _kpi(page, "topics") == "4"

    # Last 7 days, then one category, with the keyboard only.
    tab_to(page, period)
    page.keyboard.press("ArrowUp")
    expect(period).to_have_value("7d")
    category = page.get_by_role("combobox", name="Category")
    tab_to(page, category)
    page.keyboard.press("ArrowDown")
    expect(category).to_have_value("aurora")
    show = page.get_by_role("button", name="Show", exact=True)
    tab_to(page, show)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"range=7d.*category=aurora"))
    expect(page.get_by_role("combobox", name="Period")).to_have_value("7d")
    expect(page.get_by_role("combobox", name="Category")).to_have_value("aurora")
    expect(page.locator(".list-header__lead")).to_contain_text("Aurora kettles")
    assert _kpi(page, "topics") == "2", "two aurora topics in the last 7 days"

    # A chart's table view, opened with the keyboard.
    summary = page.locator("summary", has_text="Activity: table view")
    tab_to(page, summary, limit=120)
    page.keyboard.press("Enter")
    table = page.get_by_role("table", name="Activity")
    expect(table).to_be_visible()
    expect(table.get_by_role("columnheader", name="Topics")).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(7)
    cells = table.locator("tbody tr td:first-of-type").all_inner_texts()
    assert sorted(cells, reverse=True)[:2] == ["1", "1"], cells
    browser_watch.screenshot(page, "table-view")

    # Every chart image loaded (the watch fails on a 4xx; an SVG has a width).
    for image in page.locator("figure.chart img").all():
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0

    # The key figures as XLSX, with the period and the category in the file.
    link = page.locator(".insights-exports li", has_text="Key figures").get_by_role(
        "link", name="Excel (XLSX)"
    )
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    book = openpyxl.load_workbook(saved, read_only=True)
    text = [str(value) for row in book.active.iter_rows(values_only=True) for value in row if value]
    assert "Aurora kettles" in text, text
    assert "Topics" in text, text


def test_a_community_manager_names_an_ambassador_and_watches_a_term(
    page: Page, live_server, browser_watch
):
    helper = _community()
    manager = UserFactory(username="cm_camille", moderator=True)
    sign_in(page, live_server, manager)
    page.goto("/insights/")
    page.locator(".insights-nav").get_by_role("link", name="Influencers").click()

    expect(page.get_by_role("heading", name="Influencers", level=1)).to_be_visible()
    ranking = page.get_by_role("table", name="Members ranked by reach")
    first = ranking.locator("tbody tr").first
    expect(first).to_contain_text("@author_al")  # four replies received

    page.get_by_role("navigation", name="Insights").get_by_role("link", name="Ambassadors").click()
    expect(page.get_by_role("heading", name="Ambassadors", level=1)).to_be_visible()
    expect(page.get_by_text("No ambassador yet.")).to_be_visible()
    page.get_by_label("Member (username)").fill(helper.username)
    page.get_by_label("Note").fill("Answers every kettle question")
    page.get_by_role("button", name="Name ambassador").click()
    row = page.get_by_role("table", name="Current ambassadors").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Hana Helps")
    expect(row).to_contain_text("Answers every kettle question")
    assert Ambassador.objects.filter(member=helper, ended_at__isnull=True).exists()

    # A wrong username is a form error (answered with a 400), nothing is saved.
    browser_watch.expect_status(400, r"/insights/people/ambassadors/$")
    page.get_by_label("Member (username)").fill("nobody_here")
    page.get_by_role("button", name="Name ambassador").click()
    expect(page.locator(".field-error, .errorlist").first).to_be_visible()
    expect(row).to_have_count(1)

    page.get_by_role("navigation", name="Insights").get_by_role(
        "link", name="E-reputation watch"
    ).click()
    expect(page.get_by_role("heading", name="E-reputation watch", level=1)).to_be_visible()
    expect(page.get_by_text("No term is watched yet.")).to_be_visible()
    page.get_by_role("textbox", name="Term").fill("Aurora")
    page.get_by_role("combobox", name="Kind").select_option("brand")
    page.get_by_role("button", name="Watch", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("“Aurora” is watched.")
    terms = page.get_by_role("table", name="Watched terms and their mentions")
    expect(terms.locator("tbody tr")).to_have_count(1)
    expect(terms.locator("tbody tr")).to_contain_text("Brand")
    assert WatchedTerm.objects.filter(term="Aurora", kind="brand", active=True).count() == 1
