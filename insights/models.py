"""Models of the insights app: the CM's dashboard (daily metrics), then people and e-reputation
watch (ambassadors, watched terms, hourly mention buckets, alerts)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# --- Daily metrics ----------------------------------------------------------------------------


class DailyMetric(models.Model):
    """One day's figures for one category, or for the whole site (``category`` null).

    Derived data: ``insights.metrics.day_compute`` replaces a day's rows from the raw tables,
    so any row can be rebuilt (``manage.py insights_backfill``). A site row is not the sum of
    its category rows for distinct counts (active members) and for what has no category
    (new members, flags on profiles).

    Medians are stored three ways: the day's median in seconds, its sample count, and the
    samples themselves (``*_samples``, seconds, sorted; thinned evenly to at most
    ``SAMPLES_CAP`` when a day has more, each then standing for count/len samples), so that
    the median of a week, a month or any range is the median of the range's samples, not an
    average of daily medians.
    """

    SAMPLES_CAP = 500

    day = models.DateField(_("day"))
    category = models.ForeignKey(
        "community.Category",
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="daily_metrics",
    )
    # Members: null on category rows (a member joins the site, not a category).
    new_members = models.PositiveIntegerField(null=True, blank=True)
    active_members = models.PositiveIntegerField(default=0)
    # Content created that day, whatever its state now.
    topics = models.PositiveIntegerField(default=0)
    posts = models.PositiveIntegerField(default=0)
    votes = models.PositiveIntegerField(default=0)
    ideas = models.PositiveIntegerField(default=0)
    idea_supports = models.PositiveIntegerField(default=0)
    # Moderation.
    flags = models.PositiveIntegerField(default=0)
    holds = models.PositiveIntegerField(default=0)
    decisions = models.PositiveIntegerField(default=0)
    appeals = models.PositiveIntegerField(default=0)
    hidden_by_community = models.PositiveIntegerField(default=0)
    hidden_by_moderators = models.PositiveIntegerField(default=0)
    # Questions: a stock, counted at the end of the day.
    unanswered_questions = models.PositiveIntegerField(default=0)
    # Questions routed to staff.
    staff_requests_opened = models.PositiveIntegerField(default=0)
    staff_requests_answered = models.PositiveIntegerField(default=0)
    # Medians (seconds), sample counts and samples.
    first_reply_median = models.PositiveIntegerField(null=True, blank=True)
    first_reply_count = models.PositiveIntegerField(default=0)
    first_reply_samples = models.JSONField(default=list, blank=True)
    official_answer_median = models.PositiveIntegerField(null=True, blank=True)
    official_answer_count = models.PositiveIntegerField(default=0)
    official_answer_samples = models.JSONField(default=list, blank=True)
    flag_decision_median = models.PositiveIntegerField(null=True, blank=True)
    flag_decision_count = models.PositiveIntegerField(default=0)
    flag_decision_samples = models.JSONField(default=list, blank=True)
    staff_answer_median = models.PositiveIntegerField(null=True, blank=True)
    staff_answer_count = models.PositiveIntegerField(default=0)
    staff_answer_samples = models.JSONField(default=list, blank=True)

    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["day", "category_id"]
        verbose_name = _("daily metric")
        verbose_name_plural = _("daily metrics")
        constraints = [
            # NULLs are distinct in a plain unique constraint: the site row needs its own.
            models.UniqueConstraint(
                fields=["day", "category"],
                condition=Q(category__isnull=False),
                name="daily_metric_one_per_category",
            ),
            models.UniqueConstraint(
                fields=["day"],
                condition=Q(category__isnull=True),
                name="daily_metric_one_site_row",
            ),
        ]
        indexes = [models.Index(fields=["category", "day"], name="daily_metric_cat_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.category_id or 'site'}"


class ReportSubscription(models.Model):
    """A staff member who receives the weekly report by e-mail."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="insights_report_subscription",
    )
    weekly = models.BooleanField(_("weekly report"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")

    def __str__(self) -> str:
        return f"report for {self.user_id} (weekly={self.weekly})"


class ReportDelivery(models.Model):
    """One weekly report to one recipient: the unique key that makes sending idempotent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="insights_reports"
    )
    week_start = models.DateField()
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")
        constraints = [
            models.UniqueConstraint(fields=["user", "week_start"], name="report_once_per_week")
        ]

    def __str__(self) -> str:
        return f"report {self.week_start} to {self.user_id}"


# --- People and e-reputation watch ------------------------------------------------------------
# Owned by insights/people.py and insights/watch.py. Every write goes through their services.


class Ambassador(models.Model):
    """A member the community managers named ambassador. Append-only history: unmarking sets
    ``ended_*``; marking again adds a row. At most one current row per member."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ambassadorships"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    appointed_at = models.DateTimeField(default=timezone.now)
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    appointed_by_name = models.CharField(max_length=150)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    ended_by_name = models.CharField(max_length=150, blank=True)
    ended_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-appointed_at", "-pk"]
        verbose_name = _("ambassador")
        verbose_name_plural = _("ambassadors")
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(ended_at__isnull=True),
                name="ambassador_one_current_per_member",
            ),
        ]

    def __str__(self) -> str:
        return f"ambassador {self.member_id}"

    @property
    def is_current(self) -> bool:
        return self.ended_at is None


class WatchedTermKind(models.TextChoices):
    BRAND = "brand", _("Brand")
    PRODUCT = "product", _("Product")
    COMPETITOR = "competitor", _("Competitor")
    BUZZ = "buzz", _("Bad buzz")


class WatchedTerm(models.Model):
    """A name or word the CM watches in new posts (e-reputation). ``normalized`` is the term
    case-folded and without accents (``insights.watch.normalize``): the unique key."""

    term = models.CharField(_("term"), max_length=100)
    normalized = models.CharField(max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=WatchedTermKind.choices)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_by_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["term"]
        verbose_name = _("watched term")
        verbose_name_plural = _("watched terms")

    def __str__(self) -> str:
        return self.term


class TermMentionHour(models.Model):
    """How many new posts mentioned a term in one clock hour (UTC). Incremented with F()."""

    term = models.ForeignKey(WatchedTerm, on_delete=models.CASCADE, related_name="hours")
    hour = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("mentions of a term in an hour")
        verbose_name_plural = _("mentions of terms by hour")
        constraints = [
            models.UniqueConstraint(fields=["term", "hour"], name="term_mention_hour_unique"),
        ]
        indexes = [models.Index(fields=["hour"], name="term_mention_hour_hour")]

    def __str__(self) -> str:
        return f"{self.term_id} {self.hour:%Y-%m-%d %H}h: {self.count}"


class AlertKind(models.TextChoices):
    TERM = "term", _("Mentions of a watched term")
    FLAG_RATE = "flag_rate", _("Flags in a category")


class Alert(models.Model):
    """A spike: a term's mentions or a category's flags well above their baseline.

    An alert is *open* while the spike continues (``ended_at`` empty); the partial unique
    constraints make a second open alert for the same subject impossible, even when two runs
    of the watch task race."""

    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    term = models.ForeignKey(
        WatchedTerm, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    category = models.ForeignKey(
        "community.Category",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    subject = models.CharField(max_length=150)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    observed = models.PositiveIntegerField()
    peak = models.PositiveIntegerField()
    baseline = models.FloatField()
    threshold = models.FloatField()
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledged_by_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="term", term__isnull=False, category__isnull=True))
                | (Q(kind="flag_rate", term__isnull=True, category__isnull=False)),
                name="alert_subject_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["term"],
                condition=Q(ended_at__isnull=True, term__isnull=False),
                name="alert_one_open_per_term",
            ),
            models.UniqueConstraint(
                fields=["category"],
                condition=Q(ended_at__isnull=True, category__isnull=False),
                name="alert_one_open_per_category",
            ),
        ]
        indexes = [models.Index(fields=["-created_at"], name="alert_recent")]

    def __str__(self) -> str:
        return f"alert {self.pk}: {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None
