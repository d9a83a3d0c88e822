"""Writes of the insights dashboard: daily metrics, the weekly report and its recipients.

The people and e-reputation part of the app keeps its own writes in ``insights.people`` and
``insights.watch``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import can_view_insights
from insights import exports, metrics, selectors
from insights.models import ReportDelivery, ReportSubscription
from notifications import conf as notifications_conf

logger = logging.getLogger(__name__)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: A delivery claimed but not marked sent for this long is tried again (a crashed worker).
STALE_CLAIM = dt.timedelta(hours=1)


# --- Daily metrics ------------------------------------------------------------------------------


def metrics_day_compute(*, day: dt.date) -> int:
    """Recompute the metrics rows of one local day (idempotent); return the rows written."""
    return metrics.day_compute(day)


def metrics_range_compute(
    *, start: dt.date, end: dt.date, progress: Callable[[dt.date], None] | None = None
) -> int:
    """Recompute every day of [start, end], oldest first, one transaction per day."""
    if start > end:
        raise ValidationError(_("The start date must be before the end date."))
    written = 0
    day = start
    while day <= end:
        written += metrics.day_compute(day)
        if progress is not None:
            progress(day)
        day += dt.timedelta(days=1)
    return written


# --- Report recipients --------------------------------------------------------------------------


def _require_insights(actor: User | None) -> None:
    if not can_view_insights(actor):
        raise PermissionDenied(_("Only moderators and staff may see the community's figures."))


@transaction.atomic
def report_subscription_set(*, actor: User, user: User, weekly: bool) -> ReportSubscription:
    """Add ``user`` to (or take them off) the weekly report. The report holds the dashboard's
    figures, so both the actor and the recipient must be allowed to see the dashboard."""
    _require_insights(actor)
    if weekly and not can_view_insights(user):
        raise ValidationError({"username": _("This member may not see the community's figures.")})
    subscription, _created = ReportSubscription.objects.select_for_update().get_or_create(
        user=user, defaults={"weekly": weekly}
    )
    if subscription.weekly != weekly:
        subscription.weekly = weekly
        subscription.updated_at = timezone.now()
        subscription.save(update_fields=["weekly", "updated_at"])
    return subscription


# --- Weekly report ------------------------------------------------------------------------------


def report_week(today: dt.date | None = None) -> dt.date:
    """The Monday of the last complete week (the week a report sent today covers)."""
    today = today or metrics.local_today()
    this_monday = today - dt.timedelta(days=today.weekday())
    return this_monday - dt.timedelta(days=7)


def weekly_report_recipients() -> list[int]:
    """Ids of the members due a weekly report: subscribed, active, allowed, with an address."""
    users = User.objects.filter(insights_report_subscription__weekly=True, is_active=True).exclude(
        email=""
    )
    return [user.pk for user in users if can_view_insights(user)]


def _claim(user: User, week_start: dt.date) -> ReportDelivery | None:
    try:
        with transaction.atomic():
            return ReportDelivery.objects.create(user=user, week_start=week_start)
    except IntegrityError:
        pass
    delivery = ReportDelivery.objects.get(user=user, week_start=week_start)
    if delivery.sent_at is None and delivery.created_at < timezone.now() - STALE_CLAIM:
        return delivery
    return None


def weekly_report_deliver(*, user_id: int, week_start: dt.date) -> bool:
    """Send the weekly report of the week starting ``week_start`` (a Monday) to one member,
    once: a (member, week) row is claimed first, so a repeated task sends nothing. Return
    whether a mail was sent."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email or not can_view_insights(user):
        return False
    subscription = ReportSubscription.objects.filter(user=user, weekly=True).exists()
    if not subscription:
        return False
    delivery = _claim(user, week_start)
    if delivery is None:
        return False
    period = selectors.Period(
        start=week_start, end=week_start + dt.timedelta(days=6), granularity=selectors.DAY
    )
    try:
        with translation.override(user.language):
            message = _report_message(user, period)
        message.send()
    except Exception:
        # Give the claim back, so that the task's retry sends the report.
        ReportDelivery.objects.filter(pk=delivery.pk).delete()
        raise
    ReportDelivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now())
    return True


def _report_message(user: User, period: selectors.Period) -> EmailMultiAlternatives:
    data = selectors.dashboard(period)
    context = {
        "user": user,
        "period": period,
        "kpis": data.kpis,
        "teams": selectors.routed_questions_by_team(period),
        "dashboard_url": f"{notifications_conf.site_url()}{reverse('insights:dashboard')}",
        "site_name": settings.SITE_NAME,
    }
    subject = _("Community report, week of %(date)s") % {"date": period.start.isoformat()}
    message = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] {subject}",
        body=render_to_string("insights/email/weekly_report.txt", context),
        to=[user.email],
    )
    message.attach(
        f"community-report-{period.start.isoformat()}.xlsx",
        exports.report_workbook(period),
        XLSX_TYPE,
    )
    return message
