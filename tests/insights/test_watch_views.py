"""Pages of the e-reputation watch: terms, mentions over time (chart and table), alerts."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from insights import watch
from insights.models import Alert, WatchedTerm
from tests.insights.fixtures_people import *  # noqa: F403

pytestmark = pytest.mark.django_db

BUDGET = 15


def _terms(moderator, size):
    now = timezone.now()
    terms = []
    for number in range(size):
        term = watch.watched_term_create(actor=moderator, term=f"Product {number}", kind="product")
        watch.mention_hour_add(term_id=term.pk, hour=now, count=number + 1)
        watch.mention_hour_add(term_id=term.pk, hour=now - timedelta(days=3), count=2)
        terms.append(term)
    return terms


@pytest.mark.parametrize("size", [3, 50])
def test_watch_page_stays_within_budget(size, client_for, moderator, django_assert_max_num_queries):
    _terms(moderator, size)
    client = client_for(moderator)
    client.get("/")
    with django_assert_max_num_queries(BUDGET):
        response = client.get(reverse("insights:watch"))
    terms = response.context["terms"]
    assert len(terms) == size
    first = next(t for t in terms if t.term == "Product 0")
    assert (first.last_24h, first.last_7d) == (1, 3)


@pytest.mark.parametrize("size", [3, 50])
def test_alerts_page_stays_within_budget(
    size, client_for, moderator, django_assert_max_num_queries
):
    now = timezone.now()
    for term in _terms(moderator, size):
        watch.mention_hour_add(term_id=term.pk, hour=now, count=20)
    assert len(watch.spikes_check(now=now)) == size
    client = client_for(moderator)
    client.get("/")
    with django_assert_max_num_queries(BUDGET):
        response = client.get(reverse("insights:alert_list"))
    assert len(response.context["alerts"]) == size
    assert response.content.decode().count(">Acknowledge<") == size


def test_a_cm_adds_a_term_from_the_page(client_for, moderator):
    response = client_for(moderator).post(
        reverse("insights:watch"), {"term": "  Kettlex  ", "kind": "competitor"}
    )
    assert response.status_code == 302
    term = WatchedTerm.objects.get()
    assert (term.term, term.normalized, term.kind, term.created_by) == (
        "Kettlex",
        "kettlex",
        "competitor",
        moderator,
    )


@pytest.mark.parametrize(
    "data",
    [
        {"term": "", "kind": "brand"},
        {"term": "Aurora", "kind": "weather"},
        {"term": "x" * 300},
        {"term": "AURÓRA", "kind": "brand"},
    ],
)
def test_bad_terms_are_form_errors_and_save_nothing(client_for, moderator, data):
    watch.watched_term_create(actor=moderator, term="Aurora", kind="brand")
    response = client_for(moderator).post(reverse("insights:watch"), data)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert WatchedTerm.objects.count() == 1


def test_a_cm_pauses_a_term_from_its_page(client_for, moderator):
    term = watch.watched_term_create(actor=moderator, term="Aurora", kind="brand")
    url = reverse("insights:watch_detail", args=[term.pk])
    response = client_for(moderator).post(url, {"term": "Aurora", "kind": "product"})
    assert response.status_code == 302
    term.refresh_from_db()
    assert (term.kind, term.active) == ("product", False)


def test_term_page_shows_the_same_figures_in_the_table_as_in_the_chart(client_for, moderator):
    term = watch.watched_term_create(actor=moderator, term="Aurora", kind="brand")
    now = timezone.now()
    watch.mention_hour_add(term_id=term.pk, hour=now, count=4)
    watch.mention_hour_add(term_id=term.pk, hour=now - timedelta(days=2), count=6)
    client = client_for(moderator)
    page = client.get(reverse("insights:watch_detail", args=[term.pk]))
    assert page.status_code == 200
    series = page.context["series"]
    assert len(series) == 30 and page.context["total"] == 10
    assert [row.count for row in series][-1] == 4
    html = page.content.decode()
    assert f'src="{reverse("insights:watch_chart", args=[term.pk])}?step=day"' in html
    assert "Table view" in html
    chart = client.get(reverse("insights:watch_chart", args=[term.pk]), {"step": "day"})
    assert chart["Content-Type"] == "image/svg+xml"
    svg = chart.content.decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    hourly = client.get(reverse("insights:watch_detail", args=[term.pk]), {"step": "hour"})
    assert len(hourly.context["series"]) == 48
    assert hourly.context["series"][-1].count == 4


def test_unknown_term_is_404(client_for, moderator):
    assert (
        client_for(moderator).get(reverse("insights:watch_detail", args=[999])).status_code == 404
    )


def test_mentions_export_opens_in_openpyxl_with_the_daily_figures(client_for, moderator):
    from openpyxl import load_workbook

    term = watch.watched_term_create(actor=moderator, term="Aurora", kind="brand")
    now = timezone.now()
    watch.mention_hour_add(term_id=term.pk, hour=now, count=3)
    response = client_for(moderator).get(reverse("insights:watch_export", args=["xlsx"]))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "Mentions of watched terms"
    assert rows[1][0] == "Period"
    assert rows[4] == ("Term", "Kind", "Day (UTC)", "Mentions")
    assert rows[5] == ("Aurora", "Brand", watch.hour_of(now).date().isoformat(), 3)


def test_alert_links_from_the_watch_page(client_for, moderator):
    term = watch.watched_term_create(actor=moderator, term="Aurora", kind="brand")
    watch.mention_hour_add(term_id=term.pk, hour=timezone.now(), count=30)
    watch.spikes_check()
    assert Alert.objects.count() == 1
    html = client_for(moderator).get(reverse("insights:watch")).content.decode()
    assert "1 alert in progress" in html and "spike" in html
