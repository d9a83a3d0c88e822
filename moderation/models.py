"""Flags, the review queue, sanctions, appeals, auto-moderation rules and the audit log.

Shapes worth knowing:

* One :class:`ReviewItem` per flagged or held piece of content (a post — a flagged topic is
  its first post — or a member's profile). It is reopened when new flags arrive after a
  decision, so its history stays in one place; ``Flag.status`` tells which flags belong to the
  current round (``pending``).
* ``ReviewItem.score`` and ``flag_count`` are denormalised (the sum of the pending flags'
  weights plus the bonus of the item's kind) and change only through ``moderation.services``
  with F() updates under the item's row lock; ``manage.py recount_moderation`` repairs them.
* :class:`AuditEntry` is append-only: ``save()`` refuses to update a row and nothing deletes
  one. It keeps plain ids and name snapshots, so it survives deleted content and accounts.
* Moderated rows keep ``<verb>_at``, ``<verb>_by`` and a ``<verb>_by_name`` snapshot.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import reasons
from community.models import Category, Post, Topic
from moderation import reasons as _moderation_reasons  # noqa: F401  (registers the codes)


class FlagReason(models.TextChoices):
    SPAM = "spam", _("Spam")
    ABUSIVE = "abusive", _("Abusive or harassment")
    OFF_TOPIC = "off_topic", _("Off-topic")
    INAPPROPRIATE = "inappropriate", _("Inappropriate")
    ILLEGAL = "illegal", _("Illegal")
    OTHER = "other", _("Something else")
    NEEDS_OFFICIAL_ANSWER = "official_answer", _("Needs an official answer")


class FlagStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    AGREED = "agreed", _("Agreed")
    DISAGREED = "disagreed", _("Disagreed")
    IGNORED = "ignored", _("Deferred")
    ROUTED = "routed", _("Sent to staff")


class ItemKind(models.TextChoices):
    """Why an item is (back) in the queue; each kind has a score bonus."""

    FLAGGED = "flagged", _("Flagged by members")
    HELD = "held", _("Held before publication")
    WATCHED = "watched", _("Flagged by a watched word")
    RECHECK = "recheck", _("Edited after being hidden")
    APPEAL = "appeal", _("Appeal")


class ItemStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RESOLVED = "resolved", _("Resolved")
    IGNORED = "ignored", _("Deferred")


class Action(models.TextChoices):
    """What a moderator decides on a review item."""

    KEEP = "keep", _("Keep (flags disagreed)")
    HIDE = "hide", _("Hide")
    REMOVE = "remove", _("Remove")
    EDIT = "edit", _("Edit")
    LOCK = "lock", _("Lock the topic")
    MOVE = "move", _("Move the topic")
    WARN = "warn", _("Warn the author")
    PROBATION = "probation", _("Put the author on probation")
    SILENCE = "silence", _("Silence the author")
    SUSPEND = "suspend", _("Suspend the author")
    IGNORE = "ignore", _("Ignore (defer the flags)")


class ReviewItem(models.Model):
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, null=True, blank=True, related_name="review_items"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="profile_review_items",
        help_text=_("The member whose profile is flagged."),
    )
    # Denormalised from the post for filtering, scoping and context (kept right on moves).
    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, null=True, blank=True, related_name="review_items"
    )
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="review_items"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="authored_review_items",
    )
    author_name = models.CharField(max_length=150, blank=True)

    kind = models.CharField(max_length=16, choices=ItemKind.choices, default=ItemKind.FLAGGED)
    status = models.CharField(max_length=16, choices=ItemStatus.choices, default=ItemStatus.PENDING)
    score = models.FloatField(default=0.0)
    flag_count = models.PositiveIntegerField(default=0)
    # System reasons are stored as a code (see community.reasons): held_reason_text shows them.
    held_reason = models.CharField(max_length=500, blank=True)
    held_reason_code = models.CharField(max_length=reasons.CODE_MAX_LENGTH, blank=True)
    held_reason_params = models.JSONField(default=dict, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    pending_since = models.DateTimeField(default=timezone.now)
    escalated_at = models.DateTimeField(null=True, blank=True)
    hidden_by_flags_at = models.DateTimeField(null=True, blank=True)

    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="claimed_review_items",
    )
    claimed_by_name = models.CharField(max_length=150, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_by_name = models.CharField(max_length=150, blank=True)
    resolved_reason = models.CharField(max_length=2000, blank=True)
    resolution = models.CharField(max_length=16, choices=Action.choices, blank=True)
    # An appeal is reviewed by somebody else than the moderator who decided (when possible).
    excluded_moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("review item")
        verbose_name_plural = _("review items")
        constraints = [
            models.CheckConstraint(
                condition=(Q(post__isnull=False, member__isnull=True))
                | (Q(post__isnull=True, member__isnull=False)),
                name="review_item_one_target",
            ),
            models.UniqueConstraint(
                fields=["post"], condition=Q(post__isnull=False), name="review_item_unique_post"
            ),
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(member__isnull=False),
                name="review_item_unique_member",
            ),
        ]
        indexes = [
            models.Index(
                fields=["-score", "pending_since"],
                name="review_item_queue",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["status", "category"], name="review_item_status_cat"),
            models.Index(fields=["author", "-created_at"], name="review_item_author"),
            models.Index(fields=["hidden_by_flags_at"], name="review_item_hidden_at"),
        ]

    def __str__(self) -> str:
        target = f"post {self.post_id}" if self.post_id else f"member {self.member_id}"
        return f"review item {self.pk} ({target}, {self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == ItemStatus.PENDING

    @property
    def held_reason_text(self) -> str:
        return reasons.display(self.held_reason, self.held_reason_code, self.held_reason_params)


class StaffRequest(models.Model):
    """A topic routed to the brand's staff: "needs an official answer" flags and moderators'
    escalations. The clock runs from ``requested_at`` to the first official answer."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for an official answer")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed without an answer")

    class Source(models.TextChoices):
        FLAG = "flag", _("Member flag")
        ESCALATION = "escalation", _("Escalated by a moderator")

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="staff_requests")
    post = models.ForeignKey(
        Post, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey(
        Group, on_delete=models.SET_NULL, null=True, blank=True, related_name="staff_requests"
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(max_length=1000, blank=True)
    request_count = models.PositiveIntegerField(default=1)
    requested_at = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_by_name = models.CharField(max_length=150, blank=True)
    due_at = models.DateTimeField()
    assigned_at = models.DateTimeField(null=True, blank=True)
    assigned_by_name = models.CharField(max_length=150, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_by_name = models.CharField(max_length=150, blank=True)
    answer_post = models.ForeignKey(
        Post, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_name = models.CharField(max_length=150, blank=True)
    closed_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("staff request")
        verbose_name_plural = _("staff requests")
        constraints = [
            models.UniqueConstraint(
                fields=["topic"], condition=Q(status="open"), name="staff_request_one_open"
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="staff_request_due")]

    def __str__(self) -> str:
        return f"staff request {self.pk} on topic {self.topic_id} ({self.status})"


class Flag(models.Model):
    item = models.ForeignKey(
        ReviewItem, on_delete=models.CASCADE, null=True, blank=True, related_name="flags"
    )
    staff_request = models.ForeignKey(
        StaffRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="flags"
    )
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, null=True, blank=True, related_name="flags"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="profile_flags",
    )
    on_topic = models.BooleanField(default=False, help_text=_("Flagged as a whole topic."))
    flagger = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="flags_raised",
    )
    flagger_name = models.CharField(max_length=150)
    reason = models.CharField(max_length=20, choices=FlagReason.choices)
    note = models.CharField(max_length=1000, blank=True)
    weight = models.FloatField(default=0.0)
    status = models.CharField(max_length=16, choices=FlagStatus.choices, default=FlagStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        constraints = [
            models.CheckConstraint(
                condition=(Q(post__isnull=False, member__isnull=True))
                | (Q(post__isnull=True, member__isnull=False)),
                name="flag_one_target",
            ),
            # One flag per member per piece of content, ever (as in Discourse).
            models.UniqueConstraint(
                fields=["flagger", "post"],
                condition=Q(post__isnull=False),
                name="flag_one_per_member_post",
            ),
            models.UniqueConstraint(
                fields=["flagger", "member"],
                condition=Q(member__isnull=False),
                name="flag_one_per_member_profile",
            ),
        ]
        indexes = [
            models.Index(fields=["item", "status"], name="flag_item_status"),
            models.Index(fields=["flagger", "-created_at"], name="flag_flagger_recent"),
            models.Index(fields=["status", "reason"], name="flag_status_reason"),
        ]

    def __str__(self) -> str:
        return f"flag {self.pk} ({self.reason}) by {self.flagger_name}"


class FlaggerRecord(models.Model):
    """A member's flagging track record (Discourse's flags_agreed/disagreed/ignored). Changes
    only by F() updates in ``item_decide``."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="flagger_record",
    )
    agreed = models.PositiveIntegerField(default=0)
    disagreed = models.PositiveIntegerField(default=0)
    ignored = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("flagger record")
        verbose_name_plural = _("flagger records")

    def __str__(self) -> str:
        return f"flagger {self.user_id}: +{self.agreed} -{self.disagreed} ~{self.ignored}"

    @property
    def resolved(self) -> int:
        return self.agreed + self.disagreed

    @property
    def accuracy(self) -> float | None:
        from moderation.scoring import accuracy

        return accuracy(self.agreed, self.disagreed)


class FlagAllowance(models.Model):
    """Flags raised per member and day: an atomic counter for the daily flag limit (a DB row
    updated with F() under a unique (user, day), not a racy count)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="flag_allowance_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}: {self.count}"


class CommunityRule(models.Model):
    """A numbered rule of the community guidelines, managed by community managers."""

    number = models.PositiveSmallIntegerField(_("number"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("community rule")
        verbose_name_plural = _("community rules")

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class RemovalReason(models.Model):
    """A ready-made reason, sent to the author, from the community managers' list."""

    title = models.CharField(_("title"), max_length=120)
    message = models.TextField(_("message to the author"), max_length=2000)
    rule = models.ForeignKey(
        CommunityRule,
        verbose_name=_("rule"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="removal_reasons",
    )
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "title"]
        verbose_name = _("removal reason")
        verbose_name_plural = _("removal reasons")

    def __str__(self) -> str:
        return self.title


class WatchedWord(models.Model):
    class WatchedAction(models.TextChoices):
        BLOCK = "block", _("Block the post")
        HOLD = "hold", _("Hold for review")
        FLAG = "flag", _("Publish and flag for review")
        REPLACE = "replace", _("Replace the text")

    pattern = models.CharField(_("word or pattern"), max_length=200)
    is_regex = models.BooleanField(_("regular expression"), default=False)
    action = models.CharField(_("action"), max_length=16, choices=WatchedAction.choices)
    replacement = models.CharField(_("replacement"), max_length=200, blank=True)
    case_sensitive = models.BooleanField(_("case-sensitive"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_by_name = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["action", "pattern"]
        verbose_name = _("watched word")
        verbose_name_plural = _("watched words")
        constraints = [
            models.UniqueConstraint(fields=["pattern", "is_regex"], name="watched_word_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.pattern} → {self.action}"


class Sanction(models.Model):
    class Kind(models.TextChoices):
        PROBATION = "probation", _("Probation (posts held for review)")
        SILENCE = "silence", _("Silenced (read-only)")
        SUSPEND = "suspend", _("Suspended")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sanctions"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True, help_text=_("Empty: for good."))
    reason = models.CharField(max_length=2000)
    # An automatic sanction's reason is a code (see community.reasons): reason_text shows it.
    reason_code = models.CharField(max_length=reasons.CODE_MAX_LENGTH, blank=True)
    reason_params = models.JSONField(default=dict, blank=True)
    rule = models.ForeignKey(
        CommunityRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    item = models.ForeignKey(
        ReviewItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="sanctions"
    )
    automatic = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_by_name = models.CharField(max_length=150)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    lifted_by_name = models.CharField(max_length=150, blank=True)
    lifted_reason = models.CharField(max_length=2000, blank=True)
    lifted_reason_code = models.CharField(max_length=reasons.CODE_MAX_LENGTH, blank=True)
    lifted_reason_params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("sanction")
        verbose_name_plural = _("sanctions")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="sanction_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(
                fields=["member", "kind", "ends_at"],
                name="sanction_member_active",
                condition=Q(lifted_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.member_id} until {self.ends_at or 'forever'}"

    @property
    def reason_text(self) -> str:
        return reasons.display(self.reason, self.reason_code, self.reason_params)

    @property
    def lifted_reason_text(self) -> str:
        return reasons.display(
            self.lifted_reason, self.lifted_reason_code, self.lifted_reason_params
        )

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.lifted_at is None
            and self.starts_at <= now
            and (self.ends_at is None or self.ends_at > now)
        )


class MemberWarning(models.Model):
    """A structured warning recorded on a member; it decays at ``expires_at``."""

    class Level(models.IntegerChoices):
        REMINDER = 1, _("Reminder")
        FORMAL = 2, _("Formal warning")
        FINAL = 3, _("Final warning")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="warnings"
    )
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.FORMAL)
    reason = models.CharField(max_length=2000)
    rule = models.ForeignKey(
        CommunityRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    item = models.ForeignKey(
        ReviewItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="warnings"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_by_name = models.CharField(max_length=150)
    expires_at = models.DateTimeField(help_text=_("The warning decays (stops counting) then."))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")
        indexes = [models.Index(fields=["member", "-expires_at"], name="warning_member_active")]

    def __str__(self) -> str:
        return f"warning {self.level} to {self.member_id}"

    def is_active(self, now=None) -> bool:
        return self.expires_at > (now or timezone.now())


class Appeal(models.Model):
    """An author's one appeal against hidden/removed content (``item``) or a sanction."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        GRANTED = "granted", _("Granted")
        DENIED = "denied", _("Denied")

    item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="appeals")
    sanction = models.ForeignKey(
        Sanction, on_delete=models.CASCADE, null=True, blank=True, related_name="appeals"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="appeals"
    )
    author_name = models.CharField(max_length=150)
    message = models.TextField(max_length=2000)
    appealed_state = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by_name = models.CharField(max_length=150, blank=True)
    decided_reason = models.CharField(max_length=2000, blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        constraints = [
            # One appeal per content item, and one per sanction.
            models.UniqueConstraint(
                fields=["item"], condition=Q(sanction__isnull=True), name="appeal_once_per_item"
            ),
            models.UniqueConstraint(
                fields=["sanction"],
                condition=Q(sanction__isnull=False),
                name="appeal_once_per_sanction",
            ),
        ]

    def __str__(self) -> str:
        return f"appeal {self.pk} on item {self.item_id} ({self.status})"


class ModeratorNote(models.Model):
    """A note on a member, visible to moderators only."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderator_notes"
    )
    body = models.TextField(max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_by_name = models.CharField(max_length=150)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("moderator note")
        verbose_name_plural = _("moderator notes")

    def __str__(self) -> str:
        return f"note on {self.member_id} by {self.created_by_name}"


class CoverageWindow(models.Model):
    """When moderators are on duty, in the site's time zone (weekday 0 = Monday)."""

    weekday = models.PositiveSmallIntegerField()
    start_minute = models.PositiveSmallIntegerField()
    end_minute = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["weekday", "start_minute"]
        verbose_name = _("coverage window")
        verbose_name_plural = _("coverage hours")
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="coverage_weekday_range"
            ),
            models.CheckConstraint(
                condition=Q(start_minute__lt=models.F("end_minute"), end_minute__lte=1440),
                name="coverage_window_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start_minute}-{self.end_minute}"


class CoverageSchedule(models.Model):
    """One row once an administrator has set coverage hours (even to none): without it, the
    default of ``MODERATION_DEFAULT_COVERAGE`` applies."""

    updated_at = models.DateTimeField(default=timezone.now)
    updated_by_name = models.CharField(max_length=150, blank=True)

    def __str__(self) -> str:
        return f"coverage schedule set {self.updated_at:%Y-%m-%d}"


class CategoryPolicy(models.Model):
    """Per-category moderation switches."""

    category = models.OneToOneField(
        Category, on_delete=models.CASCADE, primary_key=True, related_name="moderation_policy"
    )
    public_log = models.BooleanField(
        _("public moderation log"),
        default=False,
        help_text=_("Show a public log of moderation actions, attributed to the team."),
    )

    class Meta:
        verbose_name = _("category moderation policy")
        verbose_name_plural = _("category moderation policies")

    def __str__(self) -> str:
        return f"policy of category {self.category_id}"


class AwaySummary(models.Model):
    """ "What happened while you were away": one per on-duty period start (the unique key makes
    the periodic task idempotent)."""

    period_start = models.DateTimeField(unique=True)
    since = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    figures = models.JSONField(default=dict)

    class Meta:
        ordering = ["-period_start"]

    def __str__(self) -> str:
        return f"away summary for {self.period_start:%Y-%m-%d %H:%M}"


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("the moderation audit log is append-only")

    def delete(self):
        raise TypeError("the moderation audit log is append-only")


class AuditEntry(models.Model):
    """One moderation action: who, what, on what, before/after, why, when. Append-only."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # No database constraint and no cascade: deleting an account never touches the log
    # (``actor_name`` keeps who it was).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField(max_length=150)
    # "system", "community" (flags), "member", "moderator", "category moderator",
    # "administrator", "brand staff": what authors are shown instead of a name.
    actor_role = models.CharField(max_length=32)
    action = models.CharField(max_length=48, db_index=True)
    item_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    post_id = models.BigIntegerField(null=True, blank=True)
    topic_id = models.BigIntegerField(null=True, blank=True)
    category_id = models.BigIntegerField(null=True, blank=True)
    # The member concerned: the content's author or the sanctioned member.
    subject_id = models.BigIntegerField(null=True, blank=True)
    subject_name = models.CharField(max_length=150, blank=True)
    target_repr = models.CharField(max_length=300, blank=True)
    # A moderator's words, or for the system's reasons (reason_code set) the source-language
    # text, kept as written; reason_display shows the code in the reader's language.
    reason = models.TextField(blank=True)
    reason_code = models.CharField(max_length=reasons.CODE_MAX_LENGTH, blank=True)
    # The code's parameters; "detail" (a hold's technical detail, untranslated) is added after.
    reason_params = models.JSONField(default=dict, blank=True)
    rule_number = models.PositiveSmallIntegerField(null=True, blank=True)
    rule_title = models.CharField(max_length=200, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    # Shown, without names or content, in the category's public log when it is on.
    public = models.BooleanField(default=False)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [
            models.Index(fields=["subject_id", "-id"], name="audit_subject"),
            models.Index(fields=["category_id", "-id"], name="audit_category"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("the moderation audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("the moderation audit log is append-only")

    @property
    def reason_display(self) -> str:
        """The reason in the active language when the system gave it, else as written."""
        if not reasons.is_known(self.reason_code):
            return self.reason
        text = reasons.render(self.reason_code, self.reason_params)
        detail = (self.reason_params or {}).get("detail")
        return f"{text} {detail}" if detail else text
