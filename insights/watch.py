"""E-reputation watch: watched terms, mention counting, spike detection and alerts.

How a mention is counted
    ``insights.handlers`` listens to ``community.events.post_created`` (sent for a reply and,
    with ``is_first``, for the first post of a new topic) and calls :func:`post_mentions_record`
    synchronously, inside the posting transaction: the post is counted exactly once, or not at
    all when the post is rolled back. The active terms are read from the cache (one cache hit;
    a post that names no term costs one small query for its text and nothing else). The text
    (the body, plus the title for a first post) and the terms are normalised alike — NFKD,
    accents dropped, case-folded — and matched as whole words, so "Aurora", "AURORA" and
    "auróra" are one term and "auroras" is not. A post counts once per term it names, however
    many times it names it (thirty "aurora" in one post are one mention, not a spike).
    Each matched term gets ``+1`` in its ``TermMentionHour`` bucket (the post's UTC clock hour)
    with an F() update, or an insert when the bucket is new; terms are taken in id order so
    two posts naming the same terms lock the rows in the same order (no deadlock).

How a spike is detected (:func:`spikes_check`, beat task every 15 minutes)
    *Observed* is the count over the last 60 minutes, estimated from the hourly buckets as a
    sliding window: the current hour's count plus the previous hour's count weighted by the
    share of it still inside the window. *Baseline* is the mean of the 168 hourly buckets
    before the previous hour (empty hours count as zero), *threshold* ``mean + k·stddev``
    (``INSIGHTS_WATCH_SIGMA``, 3) but never below ``INSIGHTS_WATCH_MIN_MENTIONS`` (10). The
    flags raised on posts of each category are measured the same way (from
    ``moderation.Flag``, hour by hour), with ``INSIGHTS_FLAG_MIN_PER_HOUR`` (5) as the floor.

    When observed reaches the threshold and the subject has no open alert, one ``Alert`` is
    created and the CMs (every active user who may view the insights) are notified in-app and
    by e-mail. While the spike continues the open alert is only updated (peak, last seen): a
    database constraint allows one open alert per term and per category, so even two racing
    runs cannot raise a second one. The alert closes when observed falls below the threshold;
    a new spike of the same subject within ``INSIGHTS_ALERT_COOLDOWN_HOURS`` (6) of the end of
    the previous one re-opens nothing and notifies no one.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions as account_permissions
from accounts.models import User
from insights.models import (
    Alert,
    AlertKind,
    TermMentionHour,
    WatchedTerm,
    WatchedTermKind,
)

logger = logging.getLogger(__name__)

DEFAULTS = {
    "WATCH_SIGMA": 3.0,
    "WATCH_MIN_MENTIONS": 10,
    "FLAG_MIN_PER_HOUR": 5,
    "WATCH_BASELINE_DAYS": 7,
    "ALERT_COOLDOWN_HOURS": 6,
}
TERMS_CACHE_KEY = "insights:watch:terms:v1"
TERMS_CACHE_SECONDS = 300
TERM_MAX_LENGTH = 100


def conf(name: str):
    """``settings.INSIGHTS_<name>``, or its documented default."""
    return getattr(settings, f"INSIGHTS_{name}", DEFAULTS[name])


# --- Permissions -----------------------------------------------------------------------------


def can_view_watch(user) -> bool:
    return account_permissions.can_view_insights(user)


def can_manage_watched_terms(user) -> bool:
    """The CMs who see the insights define what is watched."""
    return account_permissions.can_view_insights(user)


def can_acknowledge_alert(user, alert: Alert | None = None) -> bool:
    return account_permissions.can_view_insights(user)


# --- Normalisation and matching (pure) -------------------------------------------------------


def normalize(text: str) -> str:
    """Case-fold and drop accents: "Auróra" → "aurora"; white space runs become one space."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


@functools.lru_cache(maxsize=2048)
def term_pattern(normalized_term: str) -> re.Pattern:
    """A whole-word pattern for a normalised term (spaces match any white space)."""
    words = [re.escape(word) for word in normalized_term.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


def terms_found(text: str, terms: list[tuple[int, str]]) -> list[int]:
    """The ids of the terms ``(id, normalised term)`` that ``text`` names, in id order."""
    haystack = normalize(text)
    if not haystack:
        return []
    found = []
    for tid, norm in terms:
        # A plain substring test first: most posts name no term, and it is much cheaper.
        first_word = norm.split(" ", 1)[0] if norm else ""
        if first_word and first_word in haystack and term_pattern(norm).search(haystack):
            found.append(tid)
    return sorted(found)


# --- Watched terms ---------------------------------------------------------------------------


def active_terms() -> list[tuple[int, str]]:
    """``(id, normalised term)`` of the active terms, from the cache (filled on a miss)."""
    try:
        terms = cache.get(TERMS_CACHE_KEY)
    except Exception:  # a cache outage must not refuse a member's post: ask the database
        terms = None
    if terms is None:
        terms = list(WatchedTerm.objects.filter(active=True).values_list("pk", "normalized"))
        with contextlib.suppress(Exception):
            cache.set(TERMS_CACHE_KEY, terms, TERMS_CACHE_SECONDS)
    return terms


def _terms_changed() -> None:
    transaction.on_commit(lambda: cache.delete(TERMS_CACHE_KEY))
    cache.delete(TERMS_CACHE_KEY)


def _clean_term(term: object, kind: object, *, exclude_pk: int | None = None) -> tuple[str, str]:
    errors: dict[str, str] = {}
    text = " ".join(str(term or "").split())
    norm = normalize(text)
    if not norm:
        errors["term"] = _("Enter a word or a name to watch.")
    elif len(text) > TERM_MAX_LENGTH:
        errors["term"] = _("At most %(max)d characters.") % {"max": TERM_MAX_LENGTH}
    elif not re.search(r"\w", norm):
        errors["term"] = _("A watched term needs at least one letter or digit.")
    elif WatchedTerm.objects.filter(normalized=norm).exclude(pk=exclude_pk).exists():
        errors["term"] = _("This term is already watched.")
    if kind not in WatchedTermKind.values:
        errors["kind"] = _("Choose a kind of term.")
    if errors:
        raise ValidationError(errors)
    return text, norm


def watched_term_create(*, actor: User, term: str, kind: str) -> WatchedTerm:
    """Watch a new term. Raises PermissionDenied, or ValidationError (empty, too long,
    already watched — compared without case or accents — or an unknown kind)."""
    if not can_manage_watched_terms(actor):
        raise PermissionDenied(_("You may not change the watched terms."))
    text, norm = _clean_term(term, kind)
    try:
        with transaction.atomic():
            watched = WatchedTerm.objects.create(
                term=text,
                normalized=norm,
                kind=kind,
                created_by=actor,
                created_by_name=actor.username,
            )
    except IntegrityError as exc:  # a concurrent request watched it first
        raise ValidationError({"term": _("This term is already watched.")}) from exc
    _terms_changed()
    return watched


def watched_term_update(
    *, actor: User, watched: WatchedTerm, term: str, kind: str, active: bool
) -> WatchedTerm:
    """Rename, re-classify, pause or resume a term (its history of mentions stays)."""
    if not can_manage_watched_terms(actor):
        raise PermissionDenied(_("You may not change the watched terms."))
    text, norm = _clean_term(term, kind, exclude_pk=watched.pk)
    watched.term, watched.normalized, watched.kind, watched.active = text, norm, kind, bool(active)
    try:
        with transaction.atomic():
            watched.save(update_fields=["term", "normalized", "kind", "active"])
    except IntegrityError as exc:
        raise ValidationError({"term": _("This term is already watched.")}) from exc
    _terms_changed()
    return watched


# --- Counting mentions -----------------------------------------------------------------------


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def mention_hour_add(*, term_id: int, hour: datetime, count: int = 1) -> None:
    """Add ``count`` mentions to a term's bucket of ``hour`` (F() update, insert if new)."""
    hour = hour_of(hour)
    bucket = TermMentionHour.objects.filter(term_id=term_id, hour=hour)
    if bucket.update(count=F("count") + count):
        return
    try:
        with transaction.atomic():
            TermMentionHour.objects.create(term_id=term_id, hour=hour, count=count)
    except IntegrityError:  # another post created the bucket meanwhile
        bucket.update(count=F("count") + count)


def post_mentions_record(*, post_id: int) -> list[int]:
    """Count the watched terms a new post names (once per term). Return the term ids.

    Called inside the posting transaction; costs nothing when no term is watched."""
    terms = active_terms()
    if not terms:
        return []
    from community.models import Post

    row = (
        Post.objects.filter(pk=post_id)
        .values_list("body", "number", "topic__title", "created_at")
        .first()
    )
    if row is None:
        return []
    body, number, title, created_at = row
    text = f"{title}\n{body}" if number == 1 else body
    found = terms_found(text, terms)
    for term_id in found:
        mention_hour_add(term_id=term_id, hour=created_at)
    return found


# --- Reading mentions ------------------------------------------------------------------------


def watched_term_list(*, now: datetime | None = None) -> list[WatchedTerm]:
    """Every term with ``last_24h`` and ``last_7d`` mention counts and ``open_alert``
    (two queries whatever the number of terms)."""
    now = now or timezone.now()
    day = hour_of(now) - timedelta(hours=23)
    week = hour_of(now) - timedelta(days=7) + timedelta(hours=1)
    terms = list(
        WatchedTerm.objects.annotate(
            last_24h=Sum("hours__count", filter=Q(hours__hour__gte=day), default=0),
            last_7d=Sum("hours__count", filter=Q(hours__hour__gte=week), default=0),
        ).order_by("-active", "term")
    )
    open_alerts = set(
        Alert.objects.filter(ended_at__isnull=True, term__isnull=False).values_list(
            "term_id", flat=True
        )
    )
    for term in terms:
        term.open_alert = term.pk in open_alerts
    return terms


def watched_term_get(*, pk: int) -> WatchedTerm:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(WatchedTerm, pk=pk)


@dataclass(frozen=True)
class MentionRow:
    start: datetime
    count: int


def term_mentions_series(
    *, term: WatchedTerm, start: datetime, end: datetime, step: str = "day"
) -> list[MentionRow]:
    """Mentions of a term per hour or per day (UTC) over [start, end), empty steps
    included. One query."""
    if step == "hour":
        first, delta = hour_of(start), timedelta(hours=1)
        counts = dict(
            TermMentionHour.objects.filter(term=term, hour__gte=first, hour__lt=end).values_list(
                "hour", "count"
            )
        )
        counts = {hour_of(k): v for k, v in counts.items()}
    else:
        first = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        delta = timedelta(days=1)
        counts = {
            row["day"].astimezone(UTC).replace(hour=0): row["n"]
            for row in TermMentionHour.objects.filter(term=term, hour__gte=first, hour__lt=end)
            .annotate(day=TruncDay("hour", tzinfo=UTC))
            .values("day")
            .annotate(n=Sum("count"))
        }
    rows, moment = [], first
    while moment < end:
        rows.append(MentionRow(start=moment, count=counts.get(moment, 0)))
        moment += delta
    return rows


def mentions_table(*, start: datetime, end: datetime) -> list[dict]:
    """Mentions of every term per UTC day over [start, end): the rows of the exports
    (term, kind, day, mentions), days without mentions left out. One query."""
    rows = (
        TermMentionHour.objects.filter(hour__gte=start, hour__lt=end)
        .annotate(day=TruncDay("hour", tzinfo=UTC))
        .values("term__term", "term__kind", "day")
        .annotate(n=Sum("count"))
        .order_by("term__term", "day")
    )
    return [
        {
            "term": row["term__term"],
            "kind": str(WatchedTermKind(row["term__kind"]).label),
            "day": row["day"].date(),
            "mentions": row["n"],
        }
        for row in rows
    ]


# --- Spikes and alerts -----------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One subject's last hour against its baseline."""

    observed: int
    mean: float
    stddev: float
    threshold: float

    @property
    def is_spike(self) -> bool:
        return self.observed >= self.threshold


def measure(
    *,
    current: int,
    previous: int,
    baseline_sum: int,
    baseline_sq: int,
    hours: int,
    fraction: float,
    floor: float,
) -> Measure:
    """Pure: the sliding-hour estimate and the threshold (see the module docstring)."""
    observed = current + previous * (1.0 - fraction)
    mean = baseline_sum / hours if hours else 0.0
    variance = max(baseline_sq / hours - mean * mean, 0.0) if hours else 0.0
    stddev = math.sqrt(variance)
    threshold = max(mean + conf("WATCH_SIGMA") * stddev, float(floor))
    return Measure(
        observed=math.floor(observed + 1e-9), mean=mean, stddev=stddev, threshold=threshold
    )


@dataclass(frozen=True)
class Window:
    now: datetime
    hour: datetime  # start of the current hour
    previous: datetime  # start of the previous hour
    baseline_start: datetime
    hours: int
    fraction: float

    @classmethod
    def at(cls, now: datetime) -> Window:
        hour = hour_of(now)
        hours = int(conf("WATCH_BASELINE_DAYS")) * 24
        previous = hour - timedelta(hours=1)
        return cls(
            now=now,
            hour=hour,
            previous=previous,
            baseline_start=previous - timedelta(hours=hours),
            hours=hours,
            fraction=min(max((now - hour).total_seconds() / 3600.0, 0.0), 1.0),
        )


def _term_measures(window: Window) -> dict[int, tuple[WatchedTerm, Measure]]:
    terms = {t.pk: t for t in WatchedTerm.objects.filter(active=True)}
    if not terms:
        return {}
    # One row per term, summed by the database: the current hour, the previous one, and the
    # baseline's sum and sum of squares (hours without a bucket count as zero).
    in_baseline = Q(hour__gte=window.baseline_start, hour__lt=window.previous)
    rows = (
        TermMentionHour.objects.filter(
            term_id__in=list(terms), hour__gte=window.baseline_start, hour__lte=window.hour
        )
        .values("term_id")
        .annotate(
            current=Sum("count", filter=Q(hour=window.hour), default=0),
            previous=Sum("count", filter=Q(hour=window.previous), default=0),
            total=Sum("count", filter=in_baseline, default=0),
            squares=Sum(F("count") * F("count"), filter=in_baseline, default=0),
        )
        .order_by()
        .values_list("term_id", "current", "previous", "total", "squares")
    )
    sums = defaultdict(lambda: (0, 0, 0, 0))
    for term_id, *figures in rows:
        sums[term_id] = tuple(int(value) for value in figures)
    return _measured(terms, sums, window, floor=conf("WATCH_MIN_MENTIONS"))


def _measured(subjects: dict, sums, window: Window, *, floor) -> dict[int, tuple[object, Measure]]:
    """``{id: (subject, Measure)}`` from each subject's (current, previous, baseline sum,
    baseline sum of squares)."""
    result = {}
    for pk, subject in subjects.items():
        current, previous, total, squares = sums[pk]
        result[pk] = (
            subject,
            measure(
                current=current,
                previous=previous,
                baseline_sum=total,
                baseline_sq=squares,
                hours=window.hours,
                fraction=window.fraction,
                floor=floor,
            ),
        )
    return result


def _flag_measures(window: Window) -> dict[int, tuple[object, Measure]]:
    from community.models import Category
    from moderation.models import Flag

    rows = (
        Flag.objects.filter(
            post__isnull=False,
            created_at__gte=window.baseline_start,
            created_at__lt=window.hour + timedelta(hours=1),
        )
        .annotate(slot=TruncHour("created_at", tzinfo=UTC))
        .values_list("post__topic__category_id", "slot")
        .annotate(n=Count("pk"))
        .order_by()
    )
    sums = defaultdict(lambda: [0, 0, 0, 0])
    for category_id, slot, count in rows:
        slot = hour_of(slot)
        entry = sums[category_id]
        if slot == window.hour:
            entry[0] += count
        elif slot == window.previous:
            entry[1] += count
        else:
            entry[2] += count
            entry[3] += count * count
    # Only categories with flags in the window can spike; load just those.
    candidates = [cid for cid, entry in sums.items() if entry[0] or entry[1]]
    categories = Category.objects.in_bulk(candidates)
    return _measured(categories, sums, window, floor=conf("FLAG_MIN_PER_HOUR"))


def alert_recipient_ids() -> list[int]:
    """The CMs told of an alert: active users who may view the insights (moderators,
    administrators, brand staff, superusers)."""
    perm = Q(
        groups__permissions__codename="view_insights",
        groups__permissions__content_type__app_label="accounts",
    ) | Q(
        user_permissions__codename="view_insights",
        user_permissions__content_type__app_label="accounts",
    )
    return sorted(
        set(
            User.objects.filter(is_active=True)
            .filter(perm | Q(is_superuser=True))
            .values_list("pk", flat=True)
        )
    )


def _alert_notify(alert: Alert) -> None:
    from django.urls import NoReverseMatch, reverse

    from notifications.services import staff_notice_process

    try:
        url = reverse("insights:alert_list")
    except NoReverseMatch:
        url = "/insights/alerts/"
    staff_notice_process(
        kind="insights_alert",
        recipient_ids=alert_recipient_ids(),
        dedupe_key=f"insights-alert:{alert.pk}",
        data={
            "alert_kind": alert.kind,
            "subject": alert.subject,
            "observed": alert.observed,
            "baseline": round(alert.baseline, 1),
            "url": url,
        },
    )


def _ended_recently(window: Window) -> tuple[set[int], set[int]]:
    since = window.now - timedelta(hours=conf("ALERT_COOLDOWN_HOURS"))
    rows = Alert.objects.filter(ended_at__gte=since).values_list("term_id", "category_id")
    return {t for t, _c in rows if t}, {c for _t, c in rows if c}


def _alert_open(*, kind: str, subject_obj, name: str, m: Measure, window: Window) -> Alert | None:
    """Create the alert and notify, in one transaction; None when another run won the race."""
    fields = {"term": subject_obj} if kind == AlertKind.TERM else {"category": subject_obj}
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                kind=kind,
                subject=name[:150],
                window_start=window.now - timedelta(hours=1),
                window_end=window.now,
                observed=m.observed,
                peak=m.observed,
                baseline=m.mean,
                threshold=m.threshold,
                created_at=window.now,
                last_seen_at=window.now,
                **fields,
            )
            _alert_notify(alert)
    except IntegrityError:
        return None  # one open alert per subject: a concurrent run raised it
    logger.info("insights alert %s: %s observed %s", alert.pk, name, m.observed)
    return alert


def spikes_check(*, now: datetime | None = None) -> list[Alert]:
    """Compare each active term's and each category's last hour with its baseline; open one
    alert per new spike (and notify the CMs), update open ones, close those that ended.
    Return the alerts created. Idempotent: running it again in the same spike creates
    nothing. A fixed number of queries, plus one write per subject in a spike."""
    window = Window.at(now or timezone.now())
    open_alerts = list(Alert.objects.filter(ended_at__isnull=True))
    open_terms = {a.term_id: a for a in open_alerts if a.term_id}
    open_categories = {a.category_id: a for a in open_alerts if a.category_id}
    cooling_terms, cooling_categories = _ended_recently(window)
    created: list[Alert] = []

    subjects = [
        (AlertKind.TERM, _term_measures(window), open_terms, cooling_terms),
        (AlertKind.FLAG_RATE, _flag_measures(window), open_categories, cooling_categories),
    ]
    for kind, measures, opened, cooling in subjects:
        for key, (obj, m) in measures.items():
            alert = opened.pop(key, None)
            if alert is not None:
                if m.is_spike:
                    Alert.objects.filter(pk=alert.pk).update(
                        last_seen_at=window.now,
                        observed=m.observed,
                        peak=max(alert.peak, m.observed),
                    )
                else:
                    Alert.objects.filter(pk=alert.pk).update(ended_at=window.now)
            elif m.is_spike and key not in cooling:
                name = obj.term if kind == AlertKind.TERM else obj.name
                new = _alert_open(kind=kind, subject_obj=obj, name=name, m=m, window=window)
                if new is not None:
                    created.append(new)
        # Open alerts of subjects no longer measured (term paused, no flag left in the
        # window): the spike is over.
        if opened:
            Alert.objects.filter(pk__in=[a.pk for a in opened.values()]).update(ended_at=window.now)
    return created


def alert_list(*, open_only: bool = False):
    alerts = Alert.objects.select_related("term", "category").order_by("-created_at", "-pk")
    if open_only:
        alerts = alerts.filter(ended_at__isnull=True)
    return alerts


def alert_acknowledge(*, actor: User, alert: Alert) -> Alert:
    """Record that a CM saw the alert (who and when). Acknowledging twice keeps the first."""
    if not can_acknowledge_alert(actor, alert):
        raise PermissionDenied(_("You may not acknowledge alerts."))
    with transaction.atomic():
        Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now(),
            acknowledged_by=actor,
            acknowledged_by_name=actor.username,
        )
    alert.refresh_from_db()
    return alert
