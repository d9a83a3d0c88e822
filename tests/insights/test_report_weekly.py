"""The weekly report: recipients managed on a page, one e-mail with the workbook per recipient
and week, never twice."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from insights import services
from insights.models import DailyMetric, ReportDelivery, ReportSubscription
from insights.tasks import weekly_report_send
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def moderator(db):
    return UserFactory(username="camille", moderator=True)


def test_report_week_is_the_last_complete_monday_to_sunday():
    assert services.report_week(dt.date(2026, 6, 8)) == dt.date(2026, 6, 1)  # a Monday
    assert services.report_week(dt.date(2026, 6, 14)) == dt.date(2026, 6, 1)  # a Sunday


def test_weekly_report_sends_one_mail_with_the_workbook_per_recipient_once(moderator):
    staff = UserFactory(username="sophie", brand_staff=True)
    member = UserFactory(username="alice", trust_level=3)
    services.report_subscription_set(actor=moderator, user=moderator, weekly=True)
    services.report_subscription_set(actor=moderator, user=staff, weekly=True)
    ReportSubscription.objects.create(user=member)  # written past the service: still skipped
    week = dt.date(2026, 6, 1)
    for offset in range(7):
        DailyMetric.objects.create(day=week + dt.timedelta(days=offset), posts=10, topics=2)

    assert weekly_report_send.delay(week.isoformat()).get() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["camille@example.org", "sophie@example.org"]
    message = mail.outbox[0]
    assert "week of 2026-06-01" in message.subject
    assert "Posts: 70" in message.body
    [(name, content, mimetype)] = message.attachments
    assert name == "community-report-2026-06-01.xlsx"
    assert mimetype == services.XLSX_TYPE
    workbook = load_workbook(io.BytesIO(content))
    assert len(workbook.worksheets) == 4
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("Period", "2026-06-01", "2026-06-07")
    assert ("Posts", 70, 0, None) in rows

    weekly_report_send.delay(week.isoformat()).get()
    assert len(mail.outbox) == 2
    assert ReportDelivery.objects.filter(week_start=week, sent_at__isnull=False).count() == 2
    # The next week is another report.
    weekly_report_send.delay((week + dt.timedelta(days=7)).isoformat()).get()
    assert len(mail.outbox) == 4


def test_a_failed_send_gives_the_claim_back_for_the_retry(moderator, monkeypatch):
    services.report_subscription_set(actor=moderator, user=moderator, weekly=True)
    week = dt.date(2026, 6, 1)

    def broken(self, *args, **kwargs):
        raise ConnectionError("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
    with pytest.raises(ConnectionError):
        services.weekly_report_deliver(user_id=moderator.pk, week_start=week)
    assert not ReportDelivery.objects.exists()
    monkeypatch.undo()
    assert services.weekly_report_deliver(user_id=moderator.pk, week_start=week)
    assert len(mail.outbox) == 1


def test_only_insights_viewers_manage_and_receive_the_report(moderator):
    member = UserFactory(trust_level=4)
    with pytest.raises(PermissionDenied):
        services.report_subscription_set(actor=member, user=member, weekly=True)
    with pytest.raises(ValidationError):
        services.report_subscription_set(actor=moderator, user=member, weekly=True)
    assert not ReportSubscription.objects.exists()


def test_reports_page_adds_and_removes_recipients(login, moderator):
    staff = UserFactory(username="sophie", brand_staff=True)
    member = UserFactory(username="alice", trust_level=3)
    client = login(moderator)
    response = client.post("/insights/reports/", {"username": "sophie"})
    assert response.status_code == 302
    assert ReportSubscription.objects.get(user=staff).weekly
    page = client.get("/insights/reports/").content.decode()
    assert "@sophie" in page

    response = client.post("/insights/reports/", {"username": "alice"})
    assert response.status_code == 400
    assert "may not see the community" in response.content.decode()
    assert not ReportSubscription.objects.filter(user=member).exists()
    assert client.post("/insights/reports/", {"username": "nobody"}).status_code == 400
    assert client.post("/insights/reports/", {"username": ""}).status_code == 400

    assert client.post("/insights/reports/sophie/remove/").status_code == 302
    assert not ReportSubscription.objects.get(user=staff).weekly
    assert client.get("/insights/reports/sophie/remove/").status_code == 405
    assert login(member).post("/insights/reports/sophie/remove/").status_code == 403


def test_reports_page_query_budget(login, moderator, django_assert_max_num_queries):
    for _n in range(3):
        services.report_subscription_set(
            actor=moderator, user=UserFactory(moderator=True), weekly=True
        )
    client = login(moderator)
    client.get("/insights/reports/")
    with django_assert_max_num_queries(8) as few:
        client.get("/insights/reports/")
    for _n in range(47):
        services.report_subscription_set(
            actor=moderator, user=UserFactory(brand_staff=True), weekly=True
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/insights/reports/")
    assert response.content.decode().count("<li>") >= 50
