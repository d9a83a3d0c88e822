"""Web pages of ideas: the board, the idea page, proposing, supporting, the brand's tools
(statuses, merges, insight, export, settings), the roadmap, the changelog and challenges.

Thin by design (see ARCHITECTURE.md): parse input, read through ``ideas.selectors``, write
through ``ideas.services``, render. Every domain error becomes form errors, a message or a 4xx
— never a 500 — and since each service runs in its own transaction nothing is half-saved.
Staff-only pages and actions answer 403 to everybody else (the services refuse too).

Each action works twice: as an ordinary form POST followed by a redirect (no JavaScript) and
as an htmx request answered with a fragment (``templates/ideas/_*.html``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community import permissions as community_permissions
from community import selectors as community_selectors
from community.services import RateLimited
from community.views import ListPage, member_required
from config.forms import service_errors_to_form
from ideas import permissions, selectors, services
from ideas.filters import IdeaFilterSet
from ideas.forms import (
    CategorySettingsForm,
    ChallengeForm,
    IdeaForm,
    MergeForm,
    PhaseForm,
    ShortlistForm,
    StatusForm,
    SupportReviewForm,
    VoteForm,
    WinnerForm,
)
from ideas.models import (
    ChallengePhase,
    Idea,
    IdeaCategorySettings,
    IdeaStatus,
    VoteReviewDecision,
)
from ideas.network import network_of

IDEAS_PER_PAGE = 30
CHANGELOG_PER_PAGE = 20
MAX_PAGE = 1000
COMMENTS_SHOWN = 3
SUPPORTERS_SHOWN = 200
FILTER_KEYS = ("status", "category", "tag", "q", "challenge")

ORDERING_LABELS = {
    "trending": gettext_lazy("Trending"),
    "top": gettext_lazy("Top"),
    "new": gettext_lazy("New"),
    "updated": gettext_lazy("Recently updated"),
}
SIGNAL_LABELS = {
    "same_day_cohort": gettext_lazy("accounts created the same day"),
    "new_account": gettext_lazy("account less than a day old"),
    "single_idea": gettext_lazy("supports only this idea"),
    "shared_network": gettext_lazy("shared network"),
    "burst": gettext_lazy("part of a burst"),
}


# --- Small helpers --------------------------------------------------------------------------


def _page_number(request: HttpRequest) -> int:
    try:
        number = int(request.GET.get("page", 1))
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    for candidate in (request.POST.get("next"), request.META.get("HTTP_REFERER")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return fallback


def _message_of(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _status_of(exc: Exception) -> int:
    if isinstance(exc, RateLimited):
        return 429
    if isinstance(exc, PermissionDenied):
        return 403
    return 400


def _refused(request: HttpRequest, exc: Exception, *, back: str) -> HttpResponse:
    """A refused button-style action: htmx gets a notice in #messages with a 4xx; a plain
    POST gets a message and a redirect back."""
    status = _status_of(exc)
    message = _message_of(exc) or _("That did not work. Check and try again.")
    if getattr(request, "htmx", False):
        response = render(request, "community/_notice.html", {"message": message}, status=status)
        response["HX-Retarget"] = "#messages"
        response["HX-Reswap"] = "innerHTML"
    else:
        messages.error(request, message)
        response = redirect(back)
    if status == 429:
        response["Retry-After"] = str(getattr(exc, "retry_after", 60) or 60)
    return response


def _staff_only(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("This page is for the brand's staff."))


def _categories_for(user) -> list:
    categories = []
    for category in community_selectors.category_list(user=user):
        categories.append(category)
        categories.extend(category.children.all())
    return categories


def _decorate_cards(user, ideas: list[Idea]) -> None:
    """``may_vote`` on each card: the button shows when the member may support the idea, or
    withdraw a support (no query: the card has what the question needs)."""
    for idea in ideas:
        idea.may_vote = bool(idea.my_vote) or permissions.can_vote_idea(user, idea)


# --- The board ------------------------------------------------------------------------------


def _board(request: HttpRequest, *, category=None) -> HttpResponse:
    user = request.user
    ordering = request.GET.get("ordering") or selectors.DEFAULT_BOARD_ORDERING
    if ordering not in selectors.BOARD_ORDERINGS:
        ordering = selectors.DEFAULT_BOARD_ORDERING
    filters = {key: request.GET[key] for key in FILTER_KEYS if request.GET.get(key)}
    if category is not None:
        filters.pop("category", None)
    queryset = selectors.idea_board(
        user=user, category=category, ordering=ordering, filters=filters or None
    )
    page = ListPage(queryset, _page_number(request), per_page=IDEAS_PER_PAGE)
    if not page.object_list and page.number > 1:
        raise Http404("No such page")
    _decorate_cards(user, page.object_list)
    context = {
        "nav": "ideas",
        "category": category,
        "ordering": ordering,
        "orderings": list(ORDERING_LABELS.items()),
        "page": page,
        "ideas": page.object_list,
        "filters": filters,
        "filters_active": bool(filters),
        "statuses": [(value, label) for value, label in IdeaStatus.choices],
        "budget": selectors.member_vote_budget(user=user, category=category)
        if category is not None
        else None,
    }
    if getattr(request, "htmx", False) and request.headers.get("HX-Target") == "idea-list":
        return render(request, "ideas/_board_list.html", context)
    filterset = IdeaFilterSet(data=filters or None, queryset=Idea.objects.none())
    categories = _categories_for(user) if category is None else []
    context.update(
        {
            "filter_errors": filterset.errors if filters else {},
            "categories": categories,
            "can_configure": category is not None
            and permissions.can_configure_ideas(user, category),
            "can_export": permissions.can_export_ideas(user),
        }
    )
    if context["can_configure"]:
        row = IdeaCategorySettings.objects.filter(category=category).first()
        context["settings_form"] = CategorySettingsForm(
            initial={
                "vote_budget": row.vote_budget if row else None,
                "roadmap_public": row.roadmap_public if row else True,
            }
        )
    return render(request, "ideas/board.html", context)


@require_GET
def board(request: HttpRequest) -> HttpResponse:
    return _board(request)


@require_GET
def category_board(request: HttpRequest, slug: str) -> HttpResponse:
    category = community_selectors.category_get(slug=slug)
    if not community_permissions.can_view_category(request.user, category):
        raise Http404("No such category")
    return _board(request, category=category)


@require_POST
@member_required
def category_settings(request: HttpRequest, slug: str) -> HttpResponse:
    category = community_selectors.category_get(slug=slug)
    _staff_only(permissions.can_configure_ideas(request.user, category))
    back = reverse("ideas:category_board", args=[category.slug])
    form = CategorySettingsForm(request.POST)
    if not form.is_valid():
        errors = " ".join(" ".join(errors) for errors in form.errors.values())
        return _refused(request, ValidationError(errors), back=back)
    try:
        services.idea_category_settings_set(
            actor=request.user,
            category=category,
            vote_budget=form.cleaned_data["vote_budget"],
            roadmap_public=form.cleaned_data["roadmap_public"],
        )
    except (PermissionDenied, ValidationError) as exc:
        return _refused(request, exc, back=back)
    messages.success(request, _("Settings saved."))
    return redirect(back)


# --- Proposing ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@member_required
def idea_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    challenge = None
    challenge_id = request.POST.get("challenge") or request.GET.get("challenge")
    if challenge_id:
        challenge = selectors.challenge_get_for_user(user=user, challenge_id=challenge_id)
        categories = [challenge.category]
    else:
        categories = [c for c in _categories_for(user) if permissions.can_propose_idea(user, c)]
    initial: dict = {}
    wanted = request.GET.get("category")
    for category in categories:
        if category.slug == wanted or (not wanted and category.default_topic_kind == "idea"):
            initial = {"category": category.pk}
            break
    if challenge is not None:
        initial = {"category": challenge.category_id}
    form = IdeaForm(request.POST or None, categories=categories, initial=initial)
    context = {"form": form, "categories": categories, "challenge": challenge, "nav": "ideas"}
    status = 200
    if challenge is not None and challenge.phase != ChallengePhase.SUBMISSION:
        context["closed_notice"] = _("This challenge does not take entries now.")
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            data = form.cleaned_data
            try:
                idea = services.idea_create(
                    actor=user,
                    category=data["category"],
                    title=data["title"],
                    body=data["body"],
                    tags=data["tags"],
                    challenge=challenge,
                )
            except RateLimited as exc:
                form.add_error(None, _message_of(exc))
                response = render(request, "ideas/idea_new.html", context, status=429)
                response["Retry-After"] = str(exc.retry_after)
                return response
            except PermissionDenied as exc:
                form.add_error(None, _message_of(exc) or _("You may not propose an idea there."))
                status = 403
            except ValidationError as exc:
                service_errors_to_form(exc, form)
                status = 400
            else:
                if idea.topic.state == "held":
                    messages.info(
                        request,
                        _("Thanks! Your idea will appear once a moderator has reviewed it."),
                    )
                else:
                    messages.success(request, _("Thanks! Your idea is posted."))
                return redirect(idea)
    return render(request, "ideas/idea_new.html", context, status=status)


@require_GET
def similar(request: HttpRequest) -> HttpResponse:
    """The similar ideas fragment, for the title field of the composer (htmx)."""
    query = request.GET.get("title") or request.GET.get("q") or ""
    ideas = selectors.similar_ideas(user=request.user, query=query[:200])
    return render(request, "ideas/_similar.html", {"ideas": ideas, "query": query[:200]})


# --- One idea -------------------------------------------------------------------------------


def _idea_page(
    request: HttpRequest,
    idea: Idea,
    *,
    status_form: StatusForm | None = None,
    merge_form: MergeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    topic = idea.topic
    # The proposal and the latest comments in one query: the last few post numbers (some may
    # be hidden) and the first post.
    posts = community_selectors.post_list_for_topic(user=user, topic=topic, ordering="oldest")
    recent_from = max(topic.highest_post_number - 3 * COMMENTS_SHOWN, 1)
    shown = list(posts.filter(Q(number=1) | Q(number__gt=recent_from)))
    first_post = next((post for post in shown if post.number == 1), None)
    comments = [post for post in shown if post.number > 1][-COMMENTS_SHOWN:]
    staff = permissions.can_set_idea_status(user, idea)
    idea.may_vote = bool(idea.my_vote) or permissions.can_vote_idea(user, idea)
    if staff and status_form is None:
        status_form = StatusForm(
            initial={"status": idea.status if idea.status != "duplicate" else "open"}
        )
    if staff and merge_form is None:
        merge_form = MergeForm()
    context = {
        "nav": "ideas",
        "idea": idea,
        "topic": topic,
        "category": topic.category,
        "tags": list(topic.tags.all()),
        "first_post": first_post,
        "comments": comments,
        "history": selectors.idea_status_history(idea=idea),
        "open_label": IdeaStatus.OPEN.label,
        "merged_sources": selectors.idea_merged_sources(idea=idea) if idea.has_merged else [],
        "budget": selectors.idea_vote_budget(user=user, idea=idea),
        "is_staff": staff,
        "status_form": status_form,
        "merge_form": merge_form,
    }
    return render(request, "ideas/idea_detail.html", context, status=status)


@require_GET
def idea_detail(request: HttpRequest, idea_id: int) -> HttpResponse:
    idea = selectors.idea_get_for_user(user=request.user, idea_id=idea_id)
    return _idea_page(request, idea)


@require_POST
@member_required
def idea_vote(request: HttpRequest, idea_id: int) -> HttpResponse:
    user = request.user
    idea = selectors.idea_get_for_user(user=user, idea_id=idea_id)
    back = _safe_next(request, idea.get_absolute_url())
    form = VoteForm(request.POST)
    error = ""
    status = 200
    if not form.is_valid():
        error, status = _("Choose to support or to withdraw."), 400
    else:
        try:
            voted = services.idea_vote_cast(
                actor=user,
                idea=idea,
                value=form.cleaned_data["value"],
                ip_network=network_of(request.META.get("REMOTE_ADDR")),
            )
        except (PermissionDenied, ValidationError) as exc:
            error, status = _message_of(exc), _status_of(exc)
        else:
            idea.vote_count, idea.my_vote = voted.vote_count, voted.my_vote
    if not getattr(request, "htmx", False):
        if error:
            messages.error(request, error)
        elif idea.my_vote:
            messages.success(request, _("Thanks for your support!"))
        else:
            messages.info(request, _("Your support is withdrawn."))
        return redirect(back)
    idea.may_vote = bool(idea.my_vote) or permissions.can_vote_idea(user, idea)
    response = render(
        request,
        "ideas/_vote.html",
        {"idea": idea, "error": error, "announce": not error},
        status=status,
    )
    if status == 429:
        response["Retry-After"] = "60"
    return response


@require_POST
@member_required
def idea_status(request: HttpRequest, idea_id: int) -> HttpResponse:
    user = request.user
    idea = selectors.idea_get_for_user(user=user, idea_id=idea_id)
    _staff_only(permissions.can_set_idea_status(user, idea))
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _idea_page(request, idea, status_form=form, status=400)
    data = form.cleaned_data
    try:
        services.idea_status_set(
            actor=user,
            idea=idea,
            status=data["status"],
            response=data["response"],
            release_note=data["release_note"],
        )
    except ValidationError as exc:
        service_errors_to_form(exc, form)
        return _idea_page(request, idea, status_form=form, status=400)
    messages.success(request, _("Status saved; everyone who follows the idea will be told."))
    return redirect(idea)


@require_POST
@member_required
def idea_merge(request: HttpRequest, idea_id: int) -> HttpResponse:
    user = request.user
    idea = selectors.idea_get_for_user(user=user, idea_id=idea_id)
    _staff_only(permissions.can_merge_idea(user, idea))
    form = MergeForm(request.POST)
    if not form.is_valid():
        return _idea_page(request, idea, merge_form=form, status=400)
    target = Idea.objects.select_related("topic").filter(pk=form.cleaned_data["target"]).first()
    if target is None or not community_permissions.can_view_topic(user, target.topic):
        form.add_error("target", _("There is no such idea."))
        return _idea_page(request, idea, merge_form=form, status=400)
    try:
        target = services.idea_merge(
            actor=user, source=idea, target=target, response=form.cleaned_data["response"]
        )
    except ValidationError as exc:
        service_errors_to_form(exc, form)
        return _idea_page(request, idea, merge_form=form, status=400)
    messages.success(
        request,
        _("Merged into “%(title)s”: its supporters are counted there and told.")
        % {"title": target.topic.title},
    )
    return redirect(target)


# --- Insight for the brand ------------------------------------------------------------------


@require_GET
@member_required
def idea_insight(request: HttpRequest, idea_id: int) -> HttpResponse:
    user = request.user
    idea = selectors.idea_get_for_user(user=user, idea_id=idea_id)
    _staff_only(permissions.can_view_idea_insight(user, idea))
    days = selectors.idea_votes_over_time(idea=idea)
    report = selectors.suspicious_vote_report(idea=idea)
    for suspect in report.suspects:
        suspect.labels = [str(SIGNAL_LABELS[signal]) for signal in suspect.signals]
    supporters = list(selectors.idea_supporters(idea=idea, limit=SUPPORTERS_SHOWN))
    context = {
        "nav": "ideas",
        "idea": idea,
        "topic": idea.topic,
        "days": days,
        "peak": max((day.count for day in days), default=0),
        "report": report,
        "supporters": supporters,
        "supporters_more": max(idea.vote_count - len(supporters), 0),
        "decisions": list(VoteReviewDecision.objects.filter(idea=idea)[:50]),
        "review_form": SupportReviewForm(),
    }
    return render(request, "ideas/insight.html", context)


@require_POST
@member_required
def idea_supports_review(request: HttpRequest, idea_id: int) -> HttpResponse:
    user = request.user
    idea = selectors.idea_get_for_user(user=user, idea_id=idea_id)
    _staff_only(permissions.can_review_votes(user, idea))
    back = reverse("ideas:insight", args=[idea.pk])
    form = SupportReviewForm(request.POST)
    if not form.is_valid():
        errors = " ".join(" ".join(errors) for errors in form.errors.values())
        return _refused(request, ValidationError(errors), back=back)
    data = form.cleaned_data
    service = (
        services.idea_vote_discount if data["action"] == "discount" else services.idea_vote_restore
    )
    try:
        decision = service(actor=user, idea=idea, user_ids=data["voters"], reason=data["reason"])
    except (PermissionDenied, ValidationError) as exc:
        return _refused(request, exc, back=back)
    if decision.action == VoteReviewDecision.Action.DISCOUNT:
        text = ngettext(
            "%(count)d support discounted; the decision is logged.",
            "%(count)d supports discounted; the decision is logged.",
            decision.vote_count,
        )
    else:
        text = ngettext(
            "%(count)d support restored; the decision is logged.",
            "%(count)d supports restored; the decision is logged.",
            decision.vote_count,
        )
    messages.success(request, text % {"count": decision.vote_count})
    return redirect(back)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_cell(value) -> str:
    """A cell a spreadsheet will not run: formulas (=, +, -, @, tab, CR) are quoted away."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return timezone.localtime(value).isoformat(timespec="seconds")
    text = str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


@require_GET
@member_required
def ideas_export(request: HttpRequest) -> StreamingHttpResponse:
    _staff_only(permissions.can_export_ideas(request.user))
    category = None
    if request.GET.get("category"):
        category = community_selectors.category_get(slug=request.GET["category"])
    base = request.build_absolute_uri("/")[:-1]
    header = [
        _("id"),
        _("title"),
        _("category"),
        _("status"),
        _("supports"),
        _("comments"),
        _("proposed by"),
        _("proposed on"),
        _("status changed on"),
        _("shipped on"),
        _("merged into"),
        _("challenge"),
        _("official response"),
        _("link"),
    ]
    labels = dict(IdeaStatus.choices)

    def rows() -> Iterator[list[str]]:
        yield header
        for row in selectors.ideas_export_rows(category=category):
            values = [
                row["pk"],
                row["topic__title"],
                row["topic__category__name"],
                labels.get(row["status"], row["status"]),
                row["vote_count"],
                row["topic__reply_count"],
                row["topic__author_name"],
                row["topic__created_at"],
                row["status_changed_at"],
                row["shipped_at"],
                row["merged_into_id"],
                row["challenge__title"],
                row["official_response"],
                base + reverse("ideas:idea", args=[row["pk"]]),
            ]
            yield [_csv_cell(value) for value in values]

    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows()), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="ideas-{stamp}.csv"'
    return response


# --- Roadmap and changelog ------------------------------------------------------------------


def _category_param(request: HttpRequest):
    slug = request.GET.get("category")
    if not slug:
        return None
    return community_selectors.category_get(slug=slug)


@require_GET
def roadmap(request: HttpRequest) -> HttpResponse:
    category = _category_param(request)
    columns = selectors.roadmap(user=request.user, category=category)
    return render(
        request,
        "ideas/roadmap.html",
        {"nav": "ideas", "columns": columns, "category": category},
    )


@require_GET
def changelog(request: HttpRequest) -> HttpResponse:
    category = _category_param(request)
    page = ListPage(
        selectors.changelog(user=request.user, category=category),
        _page_number(request),
        per_page=CHANGELOG_PER_PAGE,
    )
    if not page.object_list and page.number > 1:
        raise Http404("No such page")
    return render(
        request,
        "ideas/changelog.html",
        {"nav": "ideas", "page": page, "ideas": page.object_list, "category": category},
    )


# --- Challenges -----------------------------------------------------------------------------


@require_GET
def challenges(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "ideas/challenges.html",
        {
            "nav": "ideas",
            "challenges": selectors.challenge_list(user=request.user),
            "can_manage": permissions.can_manage_challenge(request.user),
        },
    )


def _challenge_page(request: HttpRequest, challenge, *, status: int = 200) -> HttpResponse:
    user = request.user
    entries = list(selectors.challenge_entries(user=user, challenge=challenge)[:200])
    _decorate_cards(user, entries)
    phase = challenge.phase
    for entry in entries:
        # Supports only during the vote, and only for the jury's shortlist when there is one.
        entry.may_vote = entry.may_vote and (
            phase == ChallengePhase.VOTE and (entry.shortlisted or not challenge.has_jury)
        )
    can_manage = permissions.can_manage_challenge(user, challenge)
    next_phases = []
    if can_manage:
        openable = challenge.openable_phases()
        next_phases = [
            (value, label)
            for value, label in PhaseForm.base_fields["phase"].choices
            if value in openable
        ]
    context = {
        "nav": "ideas",
        "challenge": challenge,
        "phase": phase,
        "entries": entries,
        "winner_visible": phase == ChallengePhase.ANNOUNCEMENT,
        "can_manage": can_manage,
        "can_shortlist": permissions.can_shortlist(user, challenge),
        "can_choose_winner": permissions.can_choose_winner(user, challenge)
        and challenge.announced_phase != ChallengePhase.ANNOUNCEMENT,
        "can_enter": phase == ChallengePhase.SUBMISSION
        and (not user.is_authenticated or permissions.can_propose_idea(user, challenge.category)),
        "next_phases": next_phases,
        "jury": list(challenge.jury.all()),
    }
    return render(request, "ideas/challenge_detail.html", context, status=status)


@require_GET
def challenge_detail(request: HttpRequest, challenge_id: int) -> HttpResponse:
    challenge = selectors.challenge_get_for_user(user=request.user, challenge_id=challenge_id)
    return _challenge_page(request, challenge)


@require_http_methods(["GET", "POST"])
@member_required
def challenge_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    _staff_only(permissions.can_manage_challenge(user))
    categories = _categories_for(user)
    form = ChallengeForm(request.POST or None, categories=categories)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                challenge = services.challenge_create(actor=user, **data)
            except ValidationError as exc:
                service_errors_to_form(exc, form)
                status = 400
            else:
                messages.success(request, _("The challenge is open."))
                return redirect(challenge)
        else:
            status = 400
    return render(
        request, "ideas/challenge_new.html", {"nav": "ideas", "form": form}, status=status
    )


@require_POST
@member_required
def challenge_phase(request: HttpRequest, challenge_id: int) -> HttpResponse:
    user = request.user
    challenge = selectors.challenge_get_for_user(user=user, challenge_id=challenge_id)
    _staff_only(permissions.can_manage_challenge(user, challenge))
    form = PhaseForm(request.POST)
    if not form.is_valid():
        return _refused(
            request,
            ValidationError(_("Choose a phase to open.")),
            back=challenge.get_absolute_url(),
        )
    try:
        services.challenge_phase_open(
            actor=user, challenge=challenge, phase=form.cleaned_data["phase"]
        )
    except (PermissionDenied, ValidationError) as exc:
        return _refused(request, exc, back=challenge.get_absolute_url())
    messages.success(request, _("Phase opened; participants are told."))
    return redirect(challenge)


@require_POST
@member_required
def challenge_shortlist(request: HttpRequest, challenge_id: int, idea_id: int) -> HttpResponse:
    user = request.user
    challenge = selectors.challenge_get_for_user(user=user, challenge_id=challenge_id)
    idea = selectors.idea_get_for_user(user=user, idea_id=idea_id)
    if idea.challenge_id != challenge.pk:
        raise Http404("Not an entry of this challenge")
    if not (permissions.is_idea_staff(user) or permissions.is_jury_member(user, challenge)):
        raise PermissionDenied(_("Only the jury of this challenge may shortlist entries."))
    form = ShortlistForm(request.POST)
    if not form.is_valid():
        return _refused(
            request,
            ValidationError(_("Choose to shortlist or not.")),
            back=challenge.get_absolute_url(),
        )
    try:
        services.challenge_entry_shortlist(
            actor=user, idea=idea, shortlisted=bool(form.cleaned_data["shortlisted"])
        )
    except (PermissionDenied, ValidationError) as exc:
        return _refused(request, exc, back=challenge.get_absolute_url())
    return redirect(_safe_next(request, challenge.get_absolute_url()))


@require_POST
@member_required
def challenge_winner(request: HttpRequest, challenge_id: int) -> HttpResponse:
    user = request.user
    challenge = selectors.challenge_get_for_user(user=user, challenge_id=challenge_id)
    _staff_only(permissions.is_idea_staff(user))
    form = WinnerForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, ValidationError(_("Choose an entry.")), back=challenge.get_absolute_url()
        )
    idea = Idea(pk=form.cleaned_data["idea"])
    try:
        services.challenge_winner_set(actor=user, challenge=challenge, idea=idea)
    except (PermissionDenied, ValidationError) as exc:
        return _refused(request, exc, back=challenge.get_absolute_url())
    messages.success(request, _("Winner chosen."))
    return redirect(challenge)
