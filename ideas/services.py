"""Every write on ideas: proposing, supporting, statuses and official responses, merging,
vote-integrity decisions, category settings and challenges.

Each service takes the acting user first (``actor``), checks permission with
``ideas.permissions``, validates, writes inside ``transaction.atomic`` and announces domain
events (``ideas.events``) at the end, inside the transaction. Callers must know:

* Refusals raise ``django.core.exceptions.PermissionDenied`` with a translated message; bad
  input raises ``ValidationError`` whose ``message_dict`` names the fields (``status``,
  ``response``, ``release_note``, ``value``, ``target``, ``voters``, ``reason``,
  ``vote_budget``, ``challenge``, dates…). A full vote budget raises :class:`VoteBudgetSpent`
  (a ``ValidationError``); daily vote limits raise ``community.services.RateLimited``.
  Views turn these into a message or a 4xx; nothing here should end in a 500.
* ``Idea.vote_count`` counts the supports that are not discounted; it changes only by F()
  updates here, under the idea's row lock (``manage.py recount_ideas`` repairs it).
* Rows are locked in one order — ideas by id, then the voter's user row — so concurrent
  services never deadlock each other; supports of one idea are serialised by its row lock, so
  the count is exact under load, and a member's supports by their user row when a vote budget
  applies, so two quick clicks cannot overspend it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _

from accounts import permissions as account_permissions
from accounts.models import User
from accounts.selectors import usernames_existing
from community import services as community_services
from community.models import Category, ContentState, TopicKind
from community.rendering import render_markdown
from community.services import RateLimited
from ideas import events, permissions, selectors
from ideas.conf import ideas_settings as conf
from ideas.models import (
    ANNOUNCED_PHASES,
    Challenge,
    ChallengePhase,
    Idea,
    IdeaCategorySettings,
    IdeaStatus,
    IdeaStatusChange,
    IdeaVote,
    VoteReviewDecision,
)
from ideas.network import network_of

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    AnyUser = User | AnonymousUser | None

DAY = timedelta(hours=24)
MAX_VOTE_BUDGET = 1000
CHALLENGE_TITLE_MIN = 8
CHALLENGE_DESCRIPTION_MAX = 10_000


class VoteBudgetSpent(ValidationError):
    """The member has no support left in this category. ``budget``: the category's budget."""

    def __init__(self, message: str, *, budget: int, category_id: int) -> None:
        super().__init__({"value": [message]}, code="vote_budget_spent")
        self.budget = budget
        self.category_id = category_id


# --- Small helpers ---------------------------------------------------------------------------


def _active(user: AnyUser) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _add(field: str, amount: int):
    """F() expression adding ``amount``, never below zero (a wrong counter must not turn a
    member's action into a database error; recount_ideas repairs it)."""
    if amount >= 0:
        return F(field) + amount
    return Greatest(F(field) + amount, Value(0))


def _clean_text(value: object) -> str:
    # PostgreSQL refuses NUL characters in text columns: drop them instead of failing.
    text = str(value or "").replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


def _render(text: str) -> str:
    """Sanitized HTML of a staff text (official response, release note, description)."""
    if not text:
        return ""
    return render_markdown(
        text,
        resolve_mentions=usernames_existing,
        image_hosts=frozenset(settings.COMMUNITY_IMAGE_HOSTS),
        site_host=settings.SITE_HOST,
    ).html


def _raise_if(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError(errors)


def _lock_idea(pk: int) -> Idea:
    try:
        return (
            Idea.objects.select_for_update(of=("self",), no_key=True)
            .select_related("topic", "topic__category")
            .get(pk=pk)
        )
    except Idea.DoesNotExist:
        raise ValidationError({"idea": _("This idea does not exist (any more).")}) from None


def _staff_text(value: object, field: str, errors: dict[str, str], *, required: bool) -> str:
    text = _clean_text(value)
    if required and not text:
        errors[field] = _(
            "Write an official response: it is shown at the top of the idea and sent to "
            "everyone who follows it."
        )
    elif len(text) > conf.RESPONSE_MAX_LENGTH:
        errors[field] = _("This text is too long: %(max)d characters at most.") % {
            "max": conf.RESPONSE_MAX_LENGTH
        }
    return text


# --- Proposing -------------------------------------------------------------------------------


def idea_row_ensure(*, topic_id: int) -> Idea:
    """The Idea row of an idea topic, created when missing (idempotent). Called by the
    ``topic_created`` handler inside ``topic_create``'s transaction."""
    idea, _created = Idea.objects.get_or_create(topic_id=topic_id)
    return idea


@transaction.atomic
def idea_create(
    *,
    actor: User,
    category: Category,
    title: str,
    body: str,
    tags: Iterable[str] | str = (),
    challenge: Challenge | None = None,
) -> Idea:
    """Propose an idea: a community topic of kind "idea" and its Idea row, in one transaction.

    Validation, trust levels, daily limits and moderation are the topic's
    (``community.services.topic_create``); the idea may come back held (``idea.topic.state``).
    With ``challenge``, the idea is an entry: only while submissions are open, always in the
    challenge's category."""
    if challenge is not None:
        challenge = Challenge.objects.select_related("category").get(pk=challenge.pk)
        if challenge.phase != ChallengePhase.SUBMISSION:
            raise ValidationError(
                {
                    "challenge": _("“%(title)s” does not take entries now: submissions are closed.")
                    % {"title": challenge.title}
                }
            )
        category = challenge.category
    topic = community_services.topic_create(
        actor=actor, category=category, title=title, body=body, kind=TopicKind.IDEA, tags=tags
    )
    idea = idea_row_ensure(topic_id=topic.pk)
    if challenge is not None:
        Idea.objects.filter(pk=idea.pk).update(challenge=challenge)
        idea.challenge = challenge
    idea.topic = topic
    return idea


# --- Supporting ------------------------------------------------------------------------------


def _challenge_vote_refusal(idea: Idea) -> str | None:
    challenge = idea.challenge
    if challenge is None:
        return None
    phase = challenge.phase
    if phase in (ChallengePhase.UPCOMING, ChallengePhase.SUBMISSION, ChallengePhase.SHORTLIST):
        return _("Voting on the entries of “%(title)s” opens on %(date)s.") % {
            "title": challenge.title,
            "date": date_format(timezone.localtime(challenge.vote_start), "DATETIME_FORMAT"),
        }
    if phase == ChallengePhase.WAITING:
        return _("Voting on the entries of “%(title)s” opens in %(wait)s.") % {
            "title": challenge.title,
            "wait": timeuntil(challenge.vote_start),
        }
    if phase != ChallengePhase.VOTE:
        return _("The vote of “%(title)s” is closed.") % {"title": challenge.title}
    if challenge.has_jury and not idea.shortlisted:
        return _("Only the entries shortlisted by the jury are in the vote.")
    return None


def _vote_refusal(actor: AnyUser, idea: Idea) -> str | None:
    if not _active(actor):
        return _("Sign in to support ideas.")
    if idea.is_merged:
        return _("This idea was merged into another one: support that one instead.")
    if idea.is_closed:
        return _("This idea is closed (%(status)s): its supports are final.") % {
            "status": idea.status_label
        }
    if idea.topic.author_id == actor.pk:
        return _("You proposed this idea: you already count as its first supporter.")
    if idea.topic.state != ContentState.VISIBLE:
        return _("This idea cannot receive supports.")
    if not permissions.can_vote_idea(actor, idea):
        return _("Your trust level does not allow voting yet.")
    return _challenge_vote_refusal(idea)


def _daily_limit_check(actor: User) -> None:
    """The community's daily vote limit (COMMUNITY_DAILY_LIMITS["votes"]), counted on idea
    supports: one indexed query. Staff roles are exempt."""
    if account_permissions.is_staff_role(actor):
        return
    limit = settings.COMMUNITY_DAILY_LIMITS.get("votes", {}).get(actor.trust_level)
    if limit is None:
        return
    if limit <= 0:
        oldest = [timezone.now()]
    else:
        oldest = list(
            IdeaVote.objects.filter(user=actor, created_at__gte=timezone.now() - DAY)
            .order_by("-created_at")
            .values_list("created_at", flat=True)[limit - 1 : limit]
        )
    if not oldest:
        return
    free_at = oldest[0] + DAY
    raise RateLimited(
        _(
            "You have reached your limit of %(limit)d supports per day. "
            "You can support again in %(wait)s."
        )
        % {"limit": limit, "wait": timeuntil(free_at)},
        action="votes",
        limit=limit,
        retry_after=max(1, int((free_at - timezone.now()).total_seconds())),
    )


def _budget_check(actor: User, idea: Idea) -> None:
    """Refuse a new support when the member's active supports in the category reach its
    budget. Challenge entries are a contest of their own and do not count."""
    if idea.challenge_id is not None:
        return
    category = idea.topic.category
    budget = selectors.category_vote_budget(category=category)
    if budget is None:
        return
    # Serialise this member's supports: two quick clicks on two ideas must not both pass.
    User.objects.select_for_update().filter(pk=actor.pk).values_list("pk", flat=True).first()
    used = selectors.active_vote_count(user=actor, category=category)
    if used >= budget:
        raise VoteBudgetSpent(
            _(
                "You have used all %(budget)d of your votes in “%(category)s”. Withdraw your "
                "support from another idea there to support this one; you also get a vote back "
                "when an idea you support is shipped or declined."
            )
            % {"budget": budget, "category": category.name},
            budget=budget,
            category_id=category.pk,
        )


@transaction.atomic
def idea_vote_cast(*, actor: User, idea: Idea, value: int, ip_network: str = "") -> Idea:
    """Support an idea (``value=1``) or withdraw one's support (``value=0``). Return the idea
    with a fresh ``vote_count`` and ``my_vote`` set.

    One support per member and idea; repeating changes nothing. Refused on one's own idea, on
    closed or merged ideas, when the category's vote budget is spent, beyond the daily vote
    limit, and for challenge entries outside the vote phase (withdrawing too: the count of a
    contest is frozen outside its vote). ``ip_network`` is what the web view read from
    REMOTE_ADDR; only its /24 (IPv4) or /48 (IPv6) is stored (see ideas/network.py)."""
    if isinstance(value, bool) or value not in (0, 1):
        raise ValidationError({"value": _("A support is 1 (support) or 0 (withdraw).")})
    idea = _lock_idea(idea.pk)
    if idea.challenge_id is not None:
        idea.challenge = Challenge.objects.get(pk=idea.challenge_id)
    refusal = _vote_refusal(actor, idea)
    if refusal is not None:
        raise PermissionDenied(refusal)
    vote = IdeaVote.objects.filter(idea=idea, user=actor).first()
    old = 1 if vote is not None else 0
    if old == value:
        idea.my_vote = value
        return idea
    if value == 1:
        _daily_limit_check(actor)
        _budget_check(actor, idea)
        IdeaVote.objects.create(idea=idea, user=actor, ip_network=network_of(ip_network))
        delta = 1
    else:
        delta = 0 if vote.discounted else -1
        vote.delete()
    if delta:
        Idea.objects.filter(pk=idea.pk).update(vote_count=_add("vote_count", delta))
    idea.refresh_from_db(fields=["vote_count"])
    events.idea_vote_changed.send(
        sender=Idea,
        idea_id=idea.pk,
        actor_id=actor.pk,
        old_value=old,
        new_value=value,
        vote_count=idea.vote_count,
    )
    idea.my_vote = value
    return idea


# --- Statuses and official responses ---------------------------------------------------------


@transaction.atomic
def idea_status_set(
    *, actor: User, idea: Idea, status: str, response: str, release_note: str = ""
) -> Idea:
    """Move an idea to ``status`` with an official response (required), recorded in its status
    history and shown at the top of the idea. Brand staff only.

    ``release_note`` goes with "shipped" (the changelog shows it). Setting the current status
    again with another response updates the response (and the history) without announcing
    anything. "duplicate" is reached through :func:`idea_merge` only; a merged idea keeps it.
    Announces ``idea_status_changed`` when the status changes."""
    if not permissions.can_set_idea_status(actor, idea):
        raise PermissionDenied(
            _("Only the brand's staff may change an idea's status or respond officially.")
        )
    errors: dict[str, str] = {}
    if status not in IdeaStatus.values:
        errors["status"] = _("Choose one of the statuses offered.")
    elif status == IdeaStatus.DUPLICATE:
        errors["status"] = _("To mark a duplicate, merge it into the original idea.")
    response = _staff_text(response, "response", errors, required=True)
    release_note = _staff_text(release_note, "release_note", errors, required=False)
    if release_note and status != IdeaStatus.SHIPPED:
        errors["release_note"] = _("A release note goes with the “Shipped” status only.")
    _raise_if(errors)
    status = IdeaStatus(status).value  # a plain string travels in events

    idea = _lock_idea(idea.pk)
    if idea.is_merged:
        raise ValidationError(
            {"status": _("This idea was merged into another one: its status is final.")}
        )
    old = idea.status
    changed = status != old
    if (
        not changed
        and response == idea.official_response
        and (not release_note or release_note == idea.release_note)
    ):
        return idea

    now = timezone.now()
    fields = {
        "official_response": response,
        "official_response_html": _render(response),
        "responded_by": actor,
        "responded_by_name": actor.username,
        "responded_at": now,
    }
    if changed:
        fields.update(status=status, status_changed_at=now)
        if status == IdeaStatus.SHIPPED:
            fields["shipped_at"] = now
        elif old == IdeaStatus.SHIPPED:
            fields["shipped_at"] = None  # it leaves the changelog
    if release_note:
        fields.update(release_note=release_note, release_note_html=_render(release_note))
    Idea.objects.filter(pk=idea.pk).update(**fields)
    IdeaStatusChange.objects.create(
        idea=idea,
        old_status=old,
        new_status=status,
        response=response,
        response_html=fields["official_response_html"],
        changed_by=actor,
        changed_by_name=actor.username,
        changed_at=now,
    )
    idea.refresh_from_db()
    if changed:
        events.idea_status_changed.send(
            sender=Idea,
            idea_id=idea.pk,
            old_status=old,
            new_status=status,
            response=response,
            actor_id=actor.pk,
        )
    return idea


# --- Merging ---------------------------------------------------------------------------------


@transaction.atomic
def idea_merge(*, actor: User, source: Idea, target: Idea, response: str = "") -> Idea:
    """Merge the duplicate ``source`` into ``target``, in one transaction; return the target.

    The source's supports move to the target (a member who supported both is counted once; the
    target's proposer cannot support their own idea, so their support of the source is
    dropped); moved supports keep ``merged_from=source``, and so do the target supports of
    members who had supported both, so that ``idea_audience(source)`` still finds every voter.
    Ideas merged earlier into the source now point to the target. The source becomes
    "duplicate" with ``merged_into=target`` and a history entry; its discussion stays on its
    topic, linked from both idea pages. Brand staff only. Announces ``idea_merged``."""
    if not permissions.can_merge_idea(actor, source):
        raise PermissionDenied(_("Only the brand's staff may merge ideas."))
    if source.pk == target.pk:
        raise ValidationError({"target": _("An idea cannot be merged into itself.")})
    errors: dict[str, str] = {}
    response = _staff_text(response, "response", errors, required=False)
    _raise_if(errors)
    locked = {
        idea.pk: idea
        for idea in Idea.objects.select_for_update(of=("self",), no_key=True)
        .select_related("topic", "topic__category")
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    if len(locked) != 2:
        raise ValidationError({"target": _("Choose an existing idea to merge into.")})
    source, target = locked[source.pk], locked[target.pk]
    if source.is_merged:
        raise ValidationError({"source": _("This idea is already merged into another one.")})
    if target.is_merged:
        raise ValidationError(
            {"target": _("That idea was itself merged into another one: merge into the original.")}
        )
    if target.topic.state != ContentState.VISIBLE:
        raise ValidationError({"target": _("Merge into a visible idea.")})

    target_voters = IdeaVote.objects.filter(idea=target).values("user_id")
    source_voters = IdeaVote.objects.filter(idea=source).values("user_id")
    # Members who supported both: their target support stays and remembers the source.
    IdeaVote.objects.filter(
        idea=target, merged_from__isnull=True, user_id__in=source_voters
    ).update(merged_from=source)
    moving = IdeaVote.objects.filter(idea=source).exclude(user_id__in=target_voters)
    if target.topic.author_id is not None:
        moving = moving.exclude(user_id=target.topic.author_id)
    moving_ids = list(moving.values_list("pk", flat=True))
    counted = IdeaVote.objects.filter(pk__in=moving_ids, discounted=False).count()
    IdeaVote.objects.filter(pk__in=moving_ids).update(idea=target, merged_from=source)
    IdeaVote.objects.filter(idea=source).delete()  # the doubles, counted once on the target
    if counted:
        Idea.objects.filter(pk=target.pk).update(vote_count=F("vote_count") + counted)
    # Keep merges flat: what was merged into the source is now merged into the target.
    Idea.objects.filter(merged_into=source).update(merged_into=target)

    now = timezone.now()
    source_fields = {
        "status": IdeaStatus.DUPLICATE,
        "status_changed_at": now,
        "merged_into": target,
        "merged_at": now,
        "merged_by_name": actor.username,
        # Every support left (moved or counted once on the target): nothing counts here now.
        "vote_count": _add("vote_count", -source.vote_count),
    }
    if source.status == IdeaStatus.SHIPPED:
        source_fields["shipped_at"] = None
    if response:
        source_fields.update(
            official_response=response,
            official_response_html=_render(response),
            responded_by=actor,
            responded_by_name=actor.username,
            responded_at=now,
        )
    Idea.objects.filter(pk=source.pk).update(**source_fields)
    IdeaStatusChange.objects.create(
        idea=source,
        old_status=source.status,
        new_status=IdeaStatus.DUPLICATE,
        response=response,
        response_html=_render(response),
        changed_by=actor,
        changed_by_name=actor.username,
        changed_at=now,
    )
    events.idea_merged.send(
        sender=Idea, source_id=source.pk, target_id=target.pk, actor_id=actor.pk
    )
    target.refresh_from_db()
    return target


# --- Vote integrity --------------------------------------------------------------------------


def _review_supports(
    *, actor: User, idea: Idea, user_ids: Iterable[int], reason: str, discount: bool
) -> VoteReviewDecision:
    if not permissions.can_review_votes(actor, idea):
        raise PermissionDenied(_("Only the brand's staff may review supports."))
    errors: dict[str, str] = {}
    try:
        ids = sorted({int(pk) for pk in user_ids})
    except (TypeError, ValueError):
        ids = []
    if not ids:
        errors["voters"] = _("Choose at least one support.")
    reason = _clean_text(reason)
    if not reason:
        errors["reason"] = _("Say why: the decision is logged with its reason.")
    elif len(reason) > 500:
        errors["reason"] = _("The reason has 500 characters at most.")
    _raise_if(errors)

    idea = _lock_idea(idea.pk)
    votes = IdeaVote.objects.filter(idea=idea, user_id__in=ids, discounted=not discount)
    found = sorted(votes.values_list("user_id", flat=True))
    if not found:
        raise ValidationError(
            {
                "voters": _("None of these supports can be discounted now.")
                if discount
                else _("None of these supports is discounted.")
            }
        )
    now = timezone.now()
    if discount:
        votes.update(
            discounted=True,
            discounted_at=now,
            discounted_by=actor,
            discounted_by_name=actor.username,
            discounted_reason=reason[:500],
        )
    else:
        votes.update(
            discounted=False,
            discounted_at=None,
            discounted_by=None,
            discounted_by_name="",
            discounted_reason="",
        )
    Idea.objects.filter(pk=idea.pk).update(
        vote_count=_add("vote_count", -len(found) if discount else len(found))
    )
    return VoteReviewDecision.objects.create(
        idea=idea,
        action=VoteReviewDecision.Action.DISCOUNT
        if discount
        else VoteReviewDecision.Action.RESTORE,
        voter_ids=found,
        vote_count=len(found),
        reason=reason[:500],
        decided_by=actor,
        decided_by_name=actor.username,
        decided_at=now,
    )


@transaction.atomic
def idea_vote_discount(
    *, actor: User, idea: Idea, user_ids: Iterable[int], reason: str
) -> VoteReviewDecision:
    """Discount the supports of ``user_ids`` on ``idea`` (brand staff, after reading the
    vote-integrity report): they stay recorded but stop counting. The decision is logged
    with its reason (:class:`VoteReviewDecision`) and on each support. Members are not told
    (telling a vote ring it was seen teaches it to hide)."""
    return _review_supports(actor=actor, idea=idea, user_ids=user_ids, reason=reason, discount=True)


@transaction.atomic
def idea_vote_restore(
    *, actor: User, idea: Idea, user_ids: Iterable[int], reason: str
) -> VoteReviewDecision:
    """Undo :func:`idea_vote_discount` for ``user_ids`` (logged the same way)."""
    return _review_supports(
        actor=actor, idea=idea, user_ids=user_ids, reason=reason, discount=False
    )


# --- Category settings -----------------------------------------------------------------------


@transaction.atomic
def idea_category_settings_set(
    *, actor: User, category: Category, vote_budget: int | None, roadmap_public: bool
) -> IdeaCategorySettings:
    """Set a category's vote budget (``None``: unlimited) and roadmap visibility. Lowering the
    budget below what members already use keeps their supports; they just cannot add more
    until they are under it again. Brand staff only."""
    if not permissions.can_configure_ideas(actor, category):
        raise PermissionDenied(_("Only the brand's staff may change how ideas work here."))
    if vote_budget is not None:
        if isinstance(vote_budget, bool) or not isinstance(vote_budget, int):
            raise ValidationError({"vote_budget": _("The vote budget is a whole number.")})
        if not 1 <= vote_budget <= MAX_VOTE_BUDGET:
            raise ValidationError(
                {
                    "vote_budget": _("The vote budget is between 1 and %(max)d, or empty.")
                    % {"max": MAX_VOTE_BUDGET}
                }
            )
    row, _created = IdeaCategorySettings.objects.update_or_create(
        category=category,
        defaults={"vote_budget": vote_budget, "roadmap_public": bool(roadmap_public)},
    )
    return row


# --- Challenges ------------------------------------------------------------------------------


def _aware(value: object, field: str, errors: dict[str, str], *, required: bool = True):
    if value is None:
        if required:
            errors[field] = _("Give a date and time.")
        return None
    if not isinstance(value, datetime):
        errors[field] = _("Give a date and time.")
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _challenge_dates_check(dates: dict[str, datetime | None], errors: dict[str, str]) -> None:
    start, end = dates["submission_start"], dates["submission_end"]
    shortlist = dates["shortlist_end"]
    vote_start, vote_end = dates["vote_start"], dates["vote_end"]
    announcement = dates["announcement_at"]
    if errors:
        return
    if end <= start:
        errors["submission_end"] = _("Submissions must close after they open.")
    if shortlist is not None and shortlist <= end:
        errors["shortlist_end"] = _("The jury shortlist ends after submissions close.")
    if vote_start < (shortlist or end):
        errors["vote_start"] = (
            _("The vote opens once the jury shortlist is over.")
            if shortlist is not None
            else _("The vote opens once submissions are closed.")
        )
    if vote_end <= vote_start:
        errors["vote_end"] = _("The vote must close after it opens.")
    if announcement < vote_end:
        errors["announcement_at"] = _("The winner is announced after the vote closes.")


@transaction.atomic
def challenge_create(
    *,
    actor: User,
    title: str,
    description: str,
    category: Category,
    submission_start: datetime,
    submission_end: datetime,
    vote_start: datetime,
    vote_end: datetime,
    announcement_at: datetime,
    shortlist_end: datetime | None = None,
    jury: Iterable[User] = (),
) -> Challenge:
    """Open a call for ideas with its phases (brand staff). Dates must follow each other:
    submissions, then the optional jury shortlist (until ``shortlist_end``), the vote, the
    announcement. When submissions are already open the phase is announced at once."""
    if not permissions.can_manage_challenge(actor):
        raise PermissionDenied(_("Only the brand's staff may open a challenge."))
    errors: dict[str, str] = {}
    title = " ".join(_clean_text(title).split())
    if not CHALLENGE_TITLE_MIN <= len(title) <= 200:
        errors["title"] = _("The title must have between %(min)d and %(max)d characters.") % {
            "min": CHALLENGE_TITLE_MIN,
            "max": 200,
        }
    description = _clean_text(description)
    if not description:
        errors["description"] = _("Describe what you are asking the community for.")
    elif len(description) > CHALLENGE_DESCRIPTION_MAX:
        errors["description"] = _("This text is too long: %(max)d characters at most.") % {
            "max": CHALLENGE_DESCRIPTION_MAX
        }
    dates = {
        "submission_start": _aware(submission_start, "submission_start", errors),
        "submission_end": _aware(submission_end, "submission_end", errors),
        "shortlist_end": _aware(shortlist_end, "shortlist_end", errors, required=False),
        "vote_start": _aware(vote_start, "vote_start", errors),
        "vote_end": _aware(vote_end, "vote_end", errors),
        "announcement_at": _aware(announcement_at, "announcement_at", errors),
    }
    _challenge_dates_check(dates, errors)
    jury = [member for member in jury if _active(member)]
    _raise_if(errors)
    challenge = Challenge.objects.create(
        title=title,
        description=description,
        description_html=_render(description),
        category=category,
        created_by=actor,
        created_by_name=actor.username,
        **dates,
    )
    if jury:
        challenge.jury.set(jury)
    challenge_phases_announce(challenge_ids=[challenge.pk])
    challenge.refresh_from_db()
    return challenge


#: The phase that ``challenge_phase_open`` starts, and which date becomes "now".
_PHASE_ORDER = [
    ChallengePhase.UPCOMING,
    ChallengePhase.SUBMISSION,
    ChallengePhase.SHORTLIST,
    ChallengePhase.WAITING,
    ChallengePhase.VOTE,
    ChallengePhase.DELIBERATION,
    ChallengePhase.ANNOUNCEMENT,
]


@transaction.atomic
def challenge_phase_open(*, actor: User, challenge: Challenge, phase: str) -> Challenge:
    """Open ``phase`` now, ahead of its date (brand staff): the dates before it are brought
    forward to now. Forward only: "submission", "shortlist" (challenges with a jury), "vote",
    "announcement" (once a winner is chosen). Participants are told at once."""
    if not permissions.can_manage_challenge(actor, challenge):
        raise PermissionDenied(_("Only the brand's staff may run a challenge."))
    if phase not in ANNOUNCED_PHASES:
        raise ValidationError({"phase": _("Choose a phase to open.")})
    challenge = Challenge.objects.select_for_update().get(pk=challenge.pk)
    now = timezone.now()
    current = challenge.phase_at(now)
    if phase not in challenge.openable_phases(now):
        if _PHASE_ORDER.index(phase) <= _PHASE_ORDER.index(current):
            message = _("This phase is already open or over.")
        elif phase == ChallengePhase.SHORTLIST and not challenge.has_jury:
            message = _("This challenge has no jury shortlist.")
        elif phase == ChallengePhase.VOTE and current == ChallengePhase.SUBMISSION:
            message = _("The jury shortlists the entries before the vote.")
        elif phase == ChallengePhase.ANNOUNCEMENT:
            message = _("Choose the winner once the vote is closed, then announce it.")
        else:
            message = _("Open the phases in order: submissions first.")
        raise ValidationError({"phase": message})
    fields: dict[str, datetime] = {}
    if phase == ChallengePhase.SUBMISSION:
        fields["submission_start"] = now
    elif phase == ChallengePhase.SHORTLIST:
        fields["submission_end"] = now
    elif phase == ChallengePhase.VOTE:
        fields["submission_end"] = min(challenge.submission_end, now)
        if challenge.shortlist_end is not None:
            fields["shortlist_end"] = min(challenge.shortlist_end, now)
        fields["vote_start"] = now
    else:  # announcement
        fields["announcement_at"] = now
    for name, value in fields.items():
        setattr(challenge, name, value)
    # Keep the dates ordered when a phase starts earlier than the one before was due to end.
    if challenge.submission_end <= challenge.submission_start:
        challenge.submission_end = challenge.submission_start + timedelta(seconds=1)
    if challenge.shortlist_end is not None and challenge.shortlist_end <= challenge.submission_end:
        challenge.shortlist_end = challenge.submission_end + timedelta(seconds=1)
    floor = challenge.shortlist_end or challenge.submission_end
    if challenge.vote_start < floor:
        challenge.vote_start = floor
    if challenge.vote_end <= challenge.vote_start:
        challenge.vote_end = challenge.vote_start + timedelta(days=1)
    if challenge.announcement_at < challenge.vote_end:
        challenge.announcement_at = challenge.vote_end
    challenge.save(
        update_fields=[
            "submission_start",
            "submission_end",
            "shortlist_end",
            "vote_start",
            "vote_end",
            "announcement_at",
        ]
    )
    challenge_phases_announce(challenge_ids=[challenge.pk])
    challenge.refresh_from_db()
    return challenge


@transaction.atomic
def challenge_entry_shortlist(*, actor: User, idea: Idea, shortlisted: bool = True) -> Idea:
    """Put an entry on (or off) the jury's shortlist: the jury and brand staff, during the
    shortlist phase only. Only shortlisted entries go to the vote of a challenge with a jury."""
    idea = _lock_idea(idea.pk)
    if idea.challenge_id is None:
        raise ValidationError({"idea": _("This idea is not a challenge entry.")})
    challenge = Challenge.objects.get(pk=idea.challenge_id)
    if not (permissions.is_idea_staff(actor) or permissions.is_jury_member(actor, challenge)):
        raise PermissionDenied(_("Only the jury of this challenge may shortlist entries."))
    if challenge.phase != ChallengePhase.SHORTLIST:
        raise ValidationError(
            {"idea": _("The jury shortlists entries between submissions and the vote.")}
        )
    if idea.topic.state != ContentState.VISIBLE and shortlisted:
        raise ValidationError({"idea": _("Only visible entries can be shortlisted.")})
    Idea.objects.filter(pk=idea.pk).update(shortlisted=bool(shortlisted))
    idea.shortlisted = bool(shortlisted)
    return idea


@transaction.atomic
def challenge_winner_set(*, actor: User, challenge: Challenge, idea: Idea) -> Challenge:
    """Choose the winning entry once the vote is closed (brand staff). It is shown, and
    participants told, from the announcement date (at once if that date is past)."""
    if not permissions.is_idea_staff(actor):
        raise PermissionDenied(_("Only the brand's staff may choose the winner."))
    challenge = Challenge.objects.select_for_update().get(pk=challenge.pk)
    if challenge.announced_phase == ChallengePhase.ANNOUNCEMENT:
        raise ValidationError({"winner": _("The winner is already announced.")})
    if timezone.now() < challenge.vote_end:
        raise ValidationError({"winner": _("Choose the winner once the vote is closed.")})
    entry = Idea.objects.select_related("topic").filter(pk=idea.pk).first()
    if entry is None or entry.challenge_id != challenge.pk:
        raise ValidationError({"winner": _("Choose one of this challenge's entries.")})
    if entry.topic.state != ContentState.VISIBLE:
        raise ValidationError({"winner": _("Choose a visible entry.")})
    if challenge.has_jury and not entry.shortlisted:
        raise ValidationError({"winner": _("Choose an entry the jury shortlisted.")})
    challenge.winner = entry
    challenge.winner_chosen_at = timezone.now()
    challenge.winner_chosen_by_name = actor.username
    challenge.save(update_fields=["winner", "winner_chosen_at", "winner_chosen_by_name"])
    challenge_phases_announce(challenge_ids=[challenge.pk])
    challenge.refresh_from_db()
    return challenge


def challenge_phases_announce(
    *, now: datetime | None = None, challenge_ids: Iterable[int] | None = None
) -> list[tuple[int, str]]:
    """Announce ``challenge_phase_opened`` for every challenge whose current phase opened
    since the last announcement; return the (challenge id, phase) pairs announced.

    Idempotent and safe to run concurrently: each challenge is re-read under its row lock and
    ``announced_phase`` remembers what was said. Phases only move forward; a phase skipped
    between two sweeps is not announced late (the current one is). Called by the beat every
    few minutes (task ``ideas.challenge_phases_announce``) and by the services that move
    phases."""
    now = now or timezone.now()
    candidates = Challenge.objects.exclude(announced_phase=ChallengePhase.ANNOUNCEMENT).filter(
        submission_start__lte=now
    )
    if challenge_ids is not None:
        candidates = candidates.filter(pk__in=list(challenge_ids))
    announced: list[tuple[int, str]] = []
    for pk in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            challenge = Challenge.objects.select_for_update().get(pk=pk)
            phase = challenge.phase_at(now)
            if phase not in ANNOUNCED_PHASES:
                continue
            previous = challenge.announced_phase
            if previous and _PHASE_ORDER.index(phase) <= _PHASE_ORDER.index(previous):
                continue
            phase = ChallengePhase(phase).value  # a plain string travels in events
            Challenge.objects.filter(pk=pk).update(announced_phase=phase)
            events.challenge_phase_opened.send(sender=Challenge, challenge_id=pk, phase=phase)
            announced.append((pk, phase))
    return announced
