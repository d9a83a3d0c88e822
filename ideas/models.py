"""The lifecycle of ideas: an idea is a community topic of kind "idea" plus what this app adds.

* :class:`Idea` — one row per idea topic (primary key = the topic's id): status, supports
  count, the brand's official response, merge target, release note, challenge entry.
* :class:`IdeaVote` — one support per member and idea (withdrawable), which may be discounted by
  staff after a vote-integrity review. Stores the voter's network, never their address.
* :class:`IdeaStatusChange` — append-only status history, with the response given each time.
* :class:`IdeaCategorySettings` — a category's vote budget and roadmap visibility.
* :class:`Challenge` — a staged call for ideas (submission, optional jury shortlist, vote,
  announcement), its phase computed from its dates.
* :class:`VoteReviewDecision` — the log of staff decisions on suspicious supports.

Discussion, comments, tags, search and moderation of the text are the topic's, in community.
``Idea.vote_count`` is denormalised and changes only by F() updates in ``ideas.services``;
``manage.py recount_ideas`` repairs it.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community.models import Category, Topic


class IdeaStatus(models.TextChoices):
    """Fider's lifecycle with UserVoice's "under review" step: open → under review → planned
    → in progress → shipped, or declined / duplicate (duplicate only through a merge)."""

    OPEN = "open", pgettext_lazy("idea status", "Open")
    UNDER_REVIEW = "under_review", pgettext_lazy("idea status", "Under review")
    PLANNED = "planned", pgettext_lazy("idea status", "Planned")
    IN_PROGRESS = "in_progress", pgettext_lazy("idea status", "In progress")
    SHIPPED = "shipped", pgettext_lazy("idea status", "Shipped")
    DECLINED = "declined", pgettext_lazy("idea status", "Declined")
    DUPLICATE = "duplicate", pgettext_lazy("idea status", "Duplicate")


#: Closed ideas take no more supports, and their supports no longer count against a vote
#: budget: the member gets the vote back (UserVoice).
CLOSED_STATUSES = frozenset({IdeaStatus.SHIPPED, IdeaStatus.DECLINED, IdeaStatus.DUPLICATE})
OPEN_STATUSES = frozenset(set(IdeaStatus.values) - set(CLOSED_STATUSES))
ROADMAP_STATUSES = (IdeaStatus.PLANNED, IdeaStatus.IN_PROGRESS, IdeaStatus.SHIPPED)


class ChallengePhase(models.TextChoices):
    UPCOMING = "upcoming", _("Upcoming")
    SUBMISSION = "submission", _("Submissions open")
    SHORTLIST = "shortlist", _("Jury shortlist")
    WAITING = "waiting", _("Vote opens soon")
    VOTE = "vote", _("Community vote")
    DELIBERATION = "deliberation", _("Results coming")
    ANNOUNCEMENT = "announcement", _("Winner announced")


#: The phases whose opening is announced to participants (``challenge_phase_opened``).
ANNOUNCED_PHASES = (
    ChallengePhase.SUBMISSION,
    ChallengePhase.SHORTLIST,
    ChallengePhase.VOTE,
    ChallengePhase.ANNOUNCEMENT,
)


class Challenge(models.Model):
    """A call for ideas in stages. Each phase has dates; the phase is computed from them:
    submission [submission_start, submission_end), then the jury shortlist until
    ``shortlist_end`` when there is one, the community vote [vote_start, vote_end), and the
    winner is shown from ``announcement_at`` once chosen."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=10_000)
    description_html = models.TextField(blank=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="challenges",
        help_text=_("Where the entries are posted."),
    )
    submission_start = models.DateTimeField(_("submissions open"))
    submission_end = models.DateTimeField(_("submissions close"))
    shortlist_end = models.DateTimeField(
        _("jury shortlist ends"),
        null=True,
        blank=True,
        help_text=_("Leave empty for no jury: every entry goes to the vote."),
    )
    vote_start = models.DateTimeField(_("vote opens"))
    vote_end = models.DateTimeField(_("vote closes"))
    announcement_at = models.DateTimeField(_("winner announced on"))
    jury = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("jury"),
        blank=True,
        related_name="juried_challenges",
    )
    winner = models.ForeignKey(
        "Idea",
        verbose_name=_("winner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    winner_chosen_at = models.DateTimeField(null=True, blank=True)
    winner_chosen_by_name = models.CharField(max_length=150, blank=True)
    #: The last phase whose opening was announced (the sweep announces each phase once).
    announced_phase = models.CharField(max_length=16, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submission_start", "-pk"]
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")
        constraints = [
            models.CheckConstraint(
                condition=Q(submission_start__lt=F("submission_end")),
                name="challenge_submission_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(shortlist_end__isnull=True)
                | Q(
                    shortlist_end__gt=F("submission_end"),
                    shortlist_end__lte=F("vote_start"),
                ),
                name="challenge_shortlist_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(vote_start__gte=F("submission_end"), vote_start__lt=F("vote_end")),
                name="challenge_vote_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(announcement_at__gte=F("vote_end")),
                name="challenge_announcement_after_vote",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("ideas:challenge", kwargs={"challenge_id": self.pk})

    @property
    def has_jury(self) -> bool:
        return self.shortlist_end is not None

    def phase_at(self, when: datetime | None = None) -> str:
        """The phase at ``when`` (now by default), a :class:`ChallengePhase` value."""
        now = when or timezone.now()
        if now < self.submission_start:
            return ChallengePhase.UPCOMING
        if now < self.submission_end:
            return ChallengePhase.SUBMISSION
        if self.shortlist_end is not None and now < self.shortlist_end:
            return ChallengePhase.SHORTLIST
        if now < self.vote_start:
            return ChallengePhase.WAITING
        if now < self.vote_end:
            return ChallengePhase.VOTE
        if now < self.announcement_at or self.winner_id is None:
            return ChallengePhase.DELIBERATION
        return ChallengePhase.ANNOUNCEMENT

    @property
    def phase(self) -> str:
        return self.phase_at()

    @property
    def phase_label(self) -> str:
        return str(ChallengePhase(self.phase).label)

    def openable_phases(self, when: datetime | None = None) -> list[str]:
        """The phases staff may open now, ahead of their dates (what
        ``ideas.services.challenge_phase_open`` accepts)."""
        current = self.phase_at(when)
        phases = []
        if current == ChallengePhase.UPCOMING:
            phases.append(ChallengePhase.SUBMISSION)
        if current == ChallengePhase.SUBMISSION and self.has_jury:
            phases.append(ChallengePhase.SHORTLIST)
        if current in (ChallengePhase.SHORTLIST, ChallengePhase.WAITING) or (
            current == ChallengePhase.SUBMISSION and not self.has_jury
        ):
            phases.append(ChallengePhase.VOTE)
        if current == ChallengePhase.DELIBERATION and self.winner_id is not None:
            phases.append(ChallengePhase.ANNOUNCEMENT)
        return phases

    def timeline(self) -> list[tuple[str, str, datetime, datetime | None]]:
        """(phase, label, start, end) of each phase, for the challenge page."""
        rows = [
            (
                ChallengePhase.SUBMISSION,
                str(ChallengePhase.SUBMISSION.label),
                self.submission_start,
                self.submission_end,
            )
        ]
        if self.shortlist_end is not None:
            rows.append(
                (
                    ChallengePhase.SHORTLIST,
                    str(ChallengePhase.SHORTLIST.label),
                    self.submission_end,
                    self.shortlist_end,
                )
            )
        rows.append(
            (ChallengePhase.VOTE, str(ChallengePhase.VOTE.label), self.vote_start, self.vote_end)
        )
        rows.append(
            (
                ChallengePhase.ANNOUNCEMENT,
                str(ChallengePhase.ANNOUNCEMENT.label),
                self.announcement_at,
                None,
            )
        )
        return rows


class Idea(models.Model):
    topic = models.OneToOneField(
        Topic, on_delete=models.CASCADE, primary_key=True, related_name="idea"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=IdeaStatus.choices, default=IdeaStatus.OPEN
    )
    #: Supports that count: every IdeaVote of this idea that is not discounted.
    vote_count = models.PositiveIntegerField(_("supports"), default=0)

    official_response = models.TextField(_("official response"), blank=True)
    official_response_html = models.TextField(blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    responded_by_name = models.CharField(max_length=150, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_ideas",
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    merged_by_name = models.CharField(max_length=150, blank=True)

    release_note = models.TextField(_("release note"), blank=True)
    release_note_html = models.TextField(blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)

    challenge = models.ForeignKey(
        Challenge,
        verbose_name=_("challenge"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="entries",
    )
    shortlisted = models.BooleanField(_("shortlisted by the jury"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("idea")
        verbose_name_plural = _("ideas")
        constraints = [
            models.CheckConstraint(
                condition=~Q(merged_into=F("topic")), name="idea_not_merged_into_itself"
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | Q(status=IdeaStatus.DUPLICATE),
                name="idea_merged_is_duplicate",
            ),
            models.CheckConstraint(
                condition=Q(shortlisted=False) | Q(challenge__isnull=False),
                name="idea_shortlisted_in_a_challenge",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-vote_count"], name="idea_status_votes"),
            models.Index(fields=["-vote_count", "-created_at"], name="idea_top"),
            models.Index(fields=["-created_at"], name="idea_new"),
            models.Index(
                fields=["-shipped_at"],
                name="idea_changelog",
                condition=Q(status=IdeaStatus.SHIPPED),
            ),
        ]

    def __str__(self) -> str:
        return f"idea {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("ideas:idea", kwargs={"idea_id": self.pk})

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def status_label(self) -> str:
        return str(IdeaStatus(self.status).label)


class IdeaVote(models.Model):
    """One member's support of one idea."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idea_votes"
    )
    created_at = models.DateTimeField(default=timezone.now)
    #: The voter's network at vote time (/24 IPv4, /48 IPv6; see ideas/network.py), never the
    #: address. Empty when unknown (votes cast outside a web request).
    ip_network = models.CharField(max_length=64, blank=True)
    #: Set when the support came (or also came) from a merged duplicate: its voters are told.
    merged_from = models.ForeignKey(
        Idea, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    discounted = models.BooleanField(_("discounted"), default=False)
    discounted_at = models.DateTimeField(null=True, blank=True)
    discounted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    discounted_by_name = models.CharField(max_length=150, blank=True)
    discounted_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("idea support")
        verbose_name_plural = _("idea supports")
        constraints = [
            models.UniqueConstraint(fields=["idea", "user"], name="idea_vote_one_per_member"),
        ]
        indexes = [
            models.Index(fields=["idea", "-created_at"], name="idea_vote_recent"),
            models.Index(fields=["user", "-created_at"], name="idea_vote_user_recent"),
            models.Index(fields=["merged_from"], name="idea_vote_merged_from"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} supports {self.idea_id}"


class IdeaStatusChange(models.Model):
    """Append-only history of an idea's status, with the official response given each time.
    The actor's name is kept, so history survives a deleted account."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="status_changes")
    old_status = models.CharField(max_length=16, choices=IdeaStatus.choices)
    new_status = models.CharField(max_length=16, choices=IdeaStatus.choices)
    response = models.TextField(blank=True)
    response_html = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_by_name = models.CharField(max_length=150)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("idea status change")
        verbose_name_plural = _("idea status changes")
        indexes = [models.Index(fields=["idea", "-changed_at"], name="idea_status_history")]

    def __str__(self) -> str:
        return f"{self.idea_id}: {self.old_status} -> {self.new_status}"

    @property
    def old_label(self) -> str:
        return str(IdeaStatus(self.old_status).label)

    @property
    def new_label(self) -> str:
        return str(IdeaStatus(self.new_status).label)


class IdeaCategorySettings(models.Model):
    """How ideas work in one category. No row means the defaults: unlimited votes, public
    roadmap."""

    category = models.OneToOneField(
        Category, on_delete=models.CASCADE, primary_key=True, related_name="idea_settings"
    )
    vote_budget = models.PositiveSmallIntegerField(
        _("vote budget"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Active supports a member may give in this category at once (UserVoice gives 10). "
            "Empty: unlimited. Shipped, declined and merged ideas give their votes back."
        ),
    )
    roadmap_public = models.BooleanField(
        _("public roadmap"),
        default=True,
        help_text=_("When off, only signed-in members see this category's ideas on the roadmap."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("idea settings of a category")
        verbose_name_plural = _("idea settings of categories")
        constraints = [
            models.CheckConstraint(
                condition=Q(vote_budget__isnull=True) | Q(vote_budget__gte=1),
                name="idea_settings_budget_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"idea settings of {self.category_id}"


class VoteReviewDecision(models.Model):
    """A staff decision on supports of an idea (discount or restore), with its reason: the log
    the vote-integrity report asks for. The voters concerned are kept as ids."""

    class Action(models.TextChoices):
        DISCOUNT = "discount", _("Discounted")
        RESTORE = "restore", _("Restored")

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="vote_reviews")
    action = models.CharField(max_length=16, choices=Action.choices)
    voter_ids = models.JSONField(default=list)
    vote_count = models.PositiveIntegerField(default=0)
    reason = models.CharField(max_length=500)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by_name = models.CharField(max_length=150)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("vote review decision")
        verbose_name_plural = _("vote review decisions")

    def __str__(self) -> str:
        return f"{self.action} {self.vote_count} on {self.idea_id}"
