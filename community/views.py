"""Web pages of the community: topic lists, topic pages, the composer, votes, following and
the moderator's topic tools.

Thin by design (see ARCHITECTURE.md): parse input, read through `community.selectors`, write
through `community.services`, render. Every domain error becomes form errors, a message or a
4xx — never a 500 — and since each service runs in its own transaction nothing is half-saved.

Each action works twice: as an ordinary form POST followed by a redirect (no JavaScript) and
as an htmx request answered with a fragment (`templates/community/_*.html`).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import usernames_existing
from community import caching, permissions, rendering, search, selectors, services
from community.filters import TopicFilterSet
from community.forms import (
    LevelForm,
    ModerateForm,
    MoveForm,
    PostEditForm,
    PreviewForm,
    ReplyForm,
    SearchForm,
    TopicForm,
    VoteForm,
    category_choices,
)
from community.links import list_links, post_links
from community.models import (
    Category,
    CategorySubscription,
    ContentState,
    NotificationLevel,
    Post,
    ReadPosition,
    Topic,
    TopicKind,
    TopicSubscription,
    Vote,
)
from community.ranking import TOP_PERIODS
from community.services import RateLimited

TOPICS_PER_PAGE = 30
POSTS_PER_PAGE = 20
#: Pages past this are refused: deep offsets cost the database and only crawlers ask for them.
MAX_LIST_PAGE = 1000
LIST_ORDERINGS = ("latest", "new", "top", "hot", "unanswered")


# --- Small helpers --------------------------------------------------------------------------


def _page_number(request: HttpRequest) -> int:
    try:
        number = int(request.GET.get("page", 1))
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_LIST_PAGE)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    """Where to go back to after a form POST: `next`, else the referring page, if on this site."""
    for candidate in (request.POST.get("next"), request.META.get("HTTP_REFERER")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return fallback


def member_required(view: Callable) -> Callable:
    """Like `login_required`, but right for actions: an anonymous POST comes back to the page
    it was sent from after signing in, and an htmx request sends the whole page to sign-in."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        back = request.get_full_path() if request.method == "GET" else _safe_next(request, "/")
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = f"{reverse('account_login')}?{urlencode({'next': back})}"
            return response
        return redirect_to_login(back)

    return wrapper


def _errors_to_form(exc: ValidationError, form) -> None:
    """Copy a service's ValidationError onto the form: per field when the field is shown."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _messages_of(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    text = str(exc)
    return text if text and not isinstance(exc, RateLimited) else ""


def _retry_after(exc: Exception) -> int:
    try:
        return max(1, round(float(getattr(exc, "retry_after", 60) or 60)))
    except (TypeError, ValueError):
        return 60


def _slow_down_message(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and exc.messages:
        return " ".join(exc.messages)
    seconds = _retry_after(exc)
    return ngettext(
        "You are going a little fast. Try again in %(count)d second.",
        "You are going a little fast. Try again in %(count)d seconds.",
        seconds,
    ) % {"count": seconds}


def _refused(
    request: HttpRequest, exc: Exception, *, back: str, fragment: str | None = None, **context
) -> HttpResponse:
    """Answer a refused action (button-style POST): for htmx, a 4xx notice fragment (or the
    given fragment) the page swaps in; otherwise a message and a redirect back, except for rate
    limits, which answer 429 with Retry-After as HTTP says."""
    if isinstance(exc, RateLimited):
        status, message = 429, _slow_down_message(exc)
    elif isinstance(exc, PermissionDenied):
        status = 403
        message = _messages_of(exc) or _("You may not do that here.")
    else:
        status = 400
        message = _messages_of(exc) or _("That did not work. Check and try again.")
    if getattr(request, "htmx", False):
        if fragment:
            response = render(request, fragment, {**context, "error": message}, status=status)
        else:
            response = render(
                request, "community/_notice.html", {"message": message}, status=status
            )
            response["HX-Retarget"] = "#messages"
            response["HX-Reswap"] = "innerHTML"
    elif status == 429:
        response = render(
            request, "community/refused.html", {"message": message, "back": back}, status=429
        )
    else:
        messages.error(request, message)
        response = redirect(back)
    if status == 429:
        response["Retry-After"] = str(_retry_after(exc))
    return response


def _with_query(url: str, request: HttpRequest, *, drop: tuple[str, ...] = ()) -> str:
    query = request.GET.copy()
    for key in drop:
        query.pop(key, None)
    return f"{url}?{query.urlencode()}" if query else url


def _topic_url(
    topic: Topic, *, page: int = 1, ordering: str | None = None, anchor: str = ""
) -> str:
    params = {}
    if ordering:
        params["ordering"] = ordering
    if page > 1:
        params["page"] = page
    url = topic.get_absolute_url()
    if params:
        url += "?" + urlencode(params)
    return url + (f"#{anchor}" if anchor else "")


def _post_url(post: Post, topic: Topic, user=None) -> str:
    """The page of `topic` that shows `post` to `user`, anchored on it (`/p/<id>/`)."""
    post.topic = topic
    page = selectors.post_page_number(
        post=post, per_page=POSTS_PER_PAGE, user=user, placeholders=True
    )
    ordering = None
    # Questions sort by votes by default; page numbers count posts in order, so a question
    # longer than one page is linked in the chronological order.
    if topic.kind == TopicKind.QUESTION and topic.highest_post_number > POSTS_PER_PAGE:
        ordering = "oldest"
    return _topic_url(topic, page=page, ordering=ordering, anchor=f"post-{post.number}")


# --- Topic lists ----------------------------------------------------------------------------


class ListPage:
    """One page of topics without COUNT(*): one row more than shown tells if a next page exists."""

    def __init__(self, queryset, number: int, per_page: int = TOPICS_PER_PAGE):
        offset = (number - 1) * per_page
        rows = list(queryset[offset : offset + per_page + 1])
        self.object_list = rows[:per_page]
        self.number = number
        self.has_next = len(rows) > per_page
        self.has_previous = number > 1
        self.next_page_number = number + 1
        self.previous_page_number = number - 1

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


def _categories_for(user) -> list[Category]:
    """Top-level categories the user may see, each with its `children` prefetched."""
    return selectors.category_list(user=user)


def _flat_categories(categories: list[Category]) -> list[Category]:
    """Parents followed by their children: the order of a category select."""
    flat = []
    for category in categories:
        flat.append(category)
        flat.extend(category.children.all())
    return flat


#: Query parameters that belong to the TopicFilterSet (the rest is ordering, period, page).
FILTER_KEYS = (
    "category",
    "tag",
    "kind",
    "status",
    "author",
    "created_after",
    "created_before",
    "has_accepted_answer",
    "unanswered",
)


def _decorate_topic_rows(topics: list[Topic]) -> None:
    """Attach what each row of a topic list shows, so the template reverses no URL and
    translates no plural per row: ``url``, ``last_post_url``, ``unread_url`` (when there are
    unread posts), ``category_url``, ``tag_list`` with each tag's ``url``, and the stats'
    plural labels."""
    links = list_links()
    for topic in topics:
        topic.url = links.topic.fill(topic.pk, slug=topic.slug)
        topic.last_post_url = links.topic_post_number.fill(topic.pk, topic.highest_post_number or 1)
        unread = getattr(topic, "unread_count", 0)
        topic.unread_url = (
            links.topic_post_number.fill(topic.pk, (topic.last_read_number or 0) + 1)
            if unread
            else ""
        )
        topic.category_url = links.category.fill(slug=topic.category.slug)
        topic.tag_list = list(topic.tags.all())
        for tag in topic.tag_list:
            tag.url = links.tag.fill(slug=tag.slug)
        topic.reply_label = ngettext("reply", "replies", topic.reply_count)
        topic.view_label = ngettext("view", "views", topic.view_count)
        topic.vote_label = ngettext("vote", "votes", topic.score)


#: Rendered fields of unbound filter forms. The same for every visitor with the same
#: language, list and categories — all part of the key, so nothing needs invalidating.
_FILTER_FIELDS_CACHE: dict[tuple, SafeString] = {}
_FILTER_FIELDS_CACHE_SIZE = 64


def _filter_fields_html(form, *, drop: tuple[str, ...]) -> SafeString:
    """The filter form's fields as HTML. Rendering a form costs 10 to 25 ms here (a template
    per widget and per option); one that shows no filter value (unbound, or bound to a query
    string without any filter: a page number, a period) is rendered once per key and reused.
    """
    category = form.fields.get("category")
    shows_values = form.is_bound and any(form.data.get(name) for name in form.fields)
    if shows_values:
        return render_to_string("community/_filter_fields.html", {"filter_form": form})
    key = (
        get_language(),
        drop,
        form.is_bound,
        tuple(form.fields),
        tuple((value, str(label)) for value, label in category.choices) if category else (),
    )
    html = _FILTER_FIELDS_CACHE.get(key)
    if html is None:
        if len(_FILTER_FIELDS_CACHE) >= _FILTER_FIELDS_CACHE_SIZE:
            _FILTER_FIELDS_CACHE.clear()
        html = render_to_string("community/_filter_fields.html", {"filter_form": form})
        _FILTER_FIELDS_CACHE[key] = html
    return html


def _filter_form(request: HttpRequest, *, categories: list[Category], drop: tuple[str, ...]):
    """The list filters as a form (the selector applies them; this shows them and their
    errors): category as a select, dates as date pickers, fields redundant on the page out."""
    filterset = TopicFilterSet(data=request.GET or None, queryset=Topic.objects.none())
    form = filterset.form
    for name in drop:
        form.fields.pop(name, None)
    if "category" in form.fields:
        flat = _flat_categories(categories)
        labels = dict(category_choices(flat))
        form.fields["category"] = forms.ChoiceField(
            label=_("Category"),
            choices=[("", _("All categories")), *((c.slug, labels[c.pk]) for c in flat)],
            required=False,
        )
    for name in ("created_after", "created_before"):
        if name in form.fields:
            form.fields[name].widget.input_type = "date"
    return form


def _topic_list(
    request: HttpRequest,
    *,
    ordering: str = "latest",
    category: Category | None = None,
    tag=None,
    author=None,
    heading: str = "",
    nav: str = "",
    template: str = "community/topic_list.html",
    extra: dict | None = None,
) -> HttpResponse:
    user = request.user
    period = None
    if ordering == "top":
        period = request.GET.get("period") or "all"
        if period not in TOP_PERIODS:
            period = "all"
    filters = {key: request.GET[key] for key in FILTER_KEYS if request.GET.get(key)}
    drop = []
    if category is not None:
        drop.append("category")
    if tag is not None:
        drop.append("tag")
    if author is not None:
        drop.append("author")
    if ordering == "unanswered":
        drop += ["unanswered", "has_accepted_answer"]
    for key in drop:
        filters.pop(key, None)
    queryset = selectors.topic_list_pinned_first(
        user=user,
        category=category,
        tag=tag,
        ordering=ordering,
        period=period,
        author=author,
        filters=filters or None,
    )
    page = ListPage(queryset, _page_number(request))
    if not page.object_list and page.number > 1:
        raise Http404("No such page")
    _decorate_topic_rows(page.object_list)
    # A category page neither shows the sidebar nor filters by category: no need to load them.
    categories = _categories_for(user) if category is None else []
    filter_form = _filter_form(request, categories=categories, drop=tuple(drop))
    context = {
        "heading": heading,
        "nav": nav or ordering,
        "ordering": ordering,
        "period": period,
        "periods": list(TOP_PERIODS),
        "category": category,
        "tag": tag,
        "page": page,
        "topics": page.object_list,
        "filter_form": filter_form,
        "filter_fields": _filter_fields_html(filter_form, drop=tuple(drop)),
        "filters_active": bool(filters),
        "sidebar_categories": None if category else categories,
        "can_start": _may_start_somewhere(user, category),
        **(extra or {}),
    }
    return render(request, template, context)


def _may_start_somewhere(user, category: Category | None) -> bool:
    if not user.is_authenticated:
        return True  # the button leads to sign-in, which is the right invitation
    if category is not None:
        return permissions.can_start_topic(user, category)
    return True


@require_GET
@caching.anonymous_page(caching.global_scopes)
def home(request: HttpRequest) -> HttpResponse:
    return _topic_list(request, ordering="latest", heading=_("Latest"), nav="home")


@require_GET
@caching.anonymous_page(caching.global_scopes)
def latest(request: HttpRequest) -> HttpResponse:
    return _topic_list(request, ordering="latest", heading=_("Latest"))


@require_GET
@caching.anonymous_page(caching.global_scopes)
def new(request: HttpRequest) -> HttpResponse:
    return _topic_list(request, ordering="new", heading=_("New topics"))


@require_GET
@caching.anonymous_page(caching.global_scopes)
def top(request: HttpRequest) -> HttpResponse:
    return _topic_list(request, ordering="top", heading=_("Top"))


@require_GET
@caching.anonymous_page(caching.global_scopes)
def hot(request: HttpRequest) -> HttpResponse:
    return _topic_list(request, ordering="hot", heading=_("Hot"))


@require_GET
@caching.anonymous_page(caching.global_scopes)
def unanswered(request: HttpRequest) -> HttpResponse:
    return _topic_list(request, ordering="unanswered", heading=_("Unanswered"))


@require_GET
@member_required
def my_topics(request: HttpRequest) -> HttpResponse:
    return _topic_list(
        request, ordering="latest", author=request.user, heading=_("My topics"), nav="mine"
    )


@require_GET
@caching.anonymous_page(caching.global_scopes)
def category_index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "community/categories.html",
        {"categories": _categories_for(request.user), "nav": "categories"},
    )


def _category_scopes(request: HttpRequest, slug: str) -> list[str]:
    return [caching.category_scope(slug)]


@require_GET
@caching.anonymous_page(_category_scopes)
def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    category = selectors.category_get(slug=slug)
    if not permissions.can_view_category(request.user, category):
        raise Http404("No such category")
    ordering = request.GET.get("ordering", "latest")
    if ordering not in LIST_ORDERINGS:
        ordering = "latest"
    extra = {"follow_level": _category_level(request.user, category), "levels": _levels()}
    return _topic_list(
        request,
        ordering=ordering,
        category=category,
        heading=category.name,
        nav="category",
        template="community/category.html",
        extra=extra,
    )


TAG_INDEX_LIMIT = 200


@require_GET
@caching.anonymous_page(caching.global_scopes)
def tag_index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "community/tags.html",
        {"tags": list(selectors.tag_list(limit=TAG_INDEX_LIMIT)), "nav": "tags"},
    )


@require_GET
@caching.anonymous_page(caching.global_scopes)
def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tag = selectors.tag_get(slug=slug)
    return _topic_list(
        request,
        ordering="latest",
        tag=tag,
        heading=_("Tagged “%(tag)s”") % {"tag": tag.name},
        nav="tag",
    )


# --- Following ------------------------------------------------------------------------------


def _levels() -> list[tuple[int, str, str]]:
    """The four following levels, most involved first, each with what it means."""
    return [
        (NotificationLevel.WATCHING, _("Watching"), _("Be notified of every new reply.")),
        (
            NotificationLevel.TRACKING,
            _("Tracking"),
            _("Count new replies; be notified when someone mentions or replies to you."),
        ),
        (NotificationLevel.NORMAL, _("Normal"), _("Be notified when mentioned or replied to.")),
        (NotificationLevel.MUTED, _("Muted"), _("Never be notified; hide it from Latest.")),
    ]


def _topic_level(user, topic: Topic) -> int | None:
    if not user.is_authenticated:
        return None
    if hasattr(topic, "follow_level"):  # annotated by selectors.topic_get_for_user
        level = topic.follow_level
        return NotificationLevel.NORMAL if level is None else level
    level = (
        TopicSubscription.objects.filter(user=user, topic=topic)
        .values_list("level", flat=True)
        .first()
    )
    return NotificationLevel.NORMAL if level is None else level


def _category_level(user, category: Category) -> int | None:
    if not user.is_authenticated:
        return None
    level = (
        CategorySubscription.objects.filter(user=user, category=category)
        .values_list("level", flat=True)
        .first()
    )
    return NotificationLevel.NORMAL if level is None else level


def _follow_response(request, *, action: str, level: int, back: str, saved: bool) -> HttpResponse:
    if getattr(request, "htmx", False):
        return render(
            request,
            "community/_follow.html",
            {"follow_action": action, "follow_level": level, "levels": _levels(), "saved": saved},
        )
    if saved:
        messages.success(request, _("Your notification level is saved."))
    return redirect(back)


@require_POST
@member_required
def topic_follow(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = selectors.topic_get_for_user(user=request.user, topic_id=topic_id)
    back = _safe_next(request, topic.get_absolute_url())
    form = LevelForm(request.POST)
    if not form.is_valid():
        return _refused(request, ValidationError(_("Choose a notification level.")), back=back)
    try:
        services.topic_subscribe(actor=request.user, topic=topic, level=form.cleaned_data["level"])
    except (PermissionDenied, ValidationError, RateLimited) as exc:
        return _refused(request, exc, back=back)
    return _follow_response(
        request,
        action=reverse("community:topic_follow", args=[topic.pk]),
        level=form.cleaned_data["level"],
        back=back,
        saved=True,
    )


@require_POST
@member_required
def category_follow(request: HttpRequest, slug: str) -> HttpResponse:
    category = selectors.category_get(slug=slug)
    if not permissions.can_view_category(request.user, category):
        raise Http404("No such category")
    back = _safe_next(request, category.get_absolute_url())
    form = LevelForm(request.POST)
    if not form.is_valid():
        return _refused(request, ValidationError(_("Choose a notification level.")), back=back)
    try:
        services.category_subscribe(
            actor=request.user, category=category, level=form.cleaned_data["level"]
        )
    except (PermissionDenied, ValidationError, RateLimited) as exc:
        return _refused(request, exc, back=back)
    return _follow_response(
        request,
        action=reverse("community:category_follow", args=[category.slug]),
        level=form.cleaned_data["level"],
        back=back,
        saved=True,
    )


# --- Topic page -----------------------------------------------------------------------------


def _reply_refusal(user, topic: Topic) -> str:
    """Why the composer is not offered, in words the reader can act on."""
    if not user.is_authenticated:
        return ""
    if topic.locked:
        return _("This topic is locked: nobody can reply any more.")
    if topic.closed:
        return _("This topic is closed to new replies.")
    if not user.is_active:
        return _("Your account cannot post.")
    restriction = permissions.member_restriction_reason(user, "reply")
    if restriction:
        return restriction
    category = topic.category
    if getattr(user, "trust_level", 0) < category.min_trust_to_reply:
        return _(
            "Replies in this category need a higher trust level. Keep reading and taking "
            "part: trust levels rise on their own."
        )
    return _("You cannot reply to this topic.")


def _decorate_posts(user, topic: Topic, posts: list[Post], *, query=None) -> None:
    """Attach what each post's buttons need, computed once per post without a query: the
    permissions, and the URLs the template would otherwise reverse per post (``url``,
    ``author_url``, ``vote_url``, ``quote_url``, ``edit_url``, ``delete_url``, ``history_url``,
    ``reply_to_url``, ``flag_url``; ``reply_href``/``quote_href`` keep the page's other query
    parameters, given as ``query``)."""
    can_accept = topic.kind == TopicKind.QUESTION and permissions.can_accept_answer(user, topic)
    links = post_links()
    kept = query.copy() if query is not None else QueryDict(mutable=True)
    for key in ("reply_to", "quote"):
        kept.pop(key, None)
    kept = kept.urlencode()
    kept = f"?{kept}&" if kept else "?"
    for post in posts:
        post.url = links.permalink.fill(post.pk)
        post.vote_url = links.vote.fill(post.pk)
        post.quote_url = links.quote.fill(post.pk)
        post.edit_url = links.edit.fill(post.pk)
        post.delete_url = links.delete.fill(post.pk)
        post.history_url = links.history.fill(post.pk)
        post.reply_to_url = links.permalink.fill(post.reply_to_id) if post.reply_to_id else ""
        post.author_url = links.profile.fill(slug=post.author.username) if post.author_id else ""
        flag = links.topic_flag if post.number == 1 else links.flag
        post.flag_url = flag.fill(topic.pk if post.number == 1 else post.pk) if flag else ""
        post.reply_href = f"{kept}reply_to={post.pk}"
        post.quote_href = f"{kept}quote={post.pk}"
        post.topic = topic  # the page's topic: permission checks below need no query
        shown = post.state == ContentState.VISIBLE
        post.may_edit = shown and permissions.can_edit_post(user, post)
        post.may_delete = post.state in (ContentState.VISIBLE, ContentState.HELD) and (
            permissions.can_delete_post(user, post)
        )
        post.may_vote = shown and permissions.can_vote(user, post)
        post.is_accepted = topic.accepted_answer_id == post.pk
        post.may_accept = can_accept and shown and post.number > 1
        post.is_mine = user.is_authenticated and post.author_id == user.pk


def _last_read_number(user, topic: Topic) -> int | None:
    if not user.is_authenticated:
        return None
    if hasattr(topic, "last_read_number"):
        return topic.last_read_number
    return (
        ReadPosition.objects.filter(user=user, topic=topic)
        .values_list("last_read_number", flat=True)
        .first()
    )


def _topic_page(
    request: HttpRequest,
    topic: Topic,
    *,
    reply_form: ReplyForm | None = None,
    preview_html: str = "",
    status: int = 200,
    page_number: int | str | None = None,
) -> HttpResponse:
    user = request.user
    default_ordering = "best" if topic.kind == TopicKind.QUESTION else "oldest"
    ordering = request.GET.get("ordering")
    if ordering not in ("oldest", "best"):
        ordering = default_ordering
    # Deleted and removed posts stay in the thread as one-line placeholders (`collapsed`).
    posts = selectors.post_list_for_topic(
        user=user, topic=topic, ordering=ordering, placeholders=True
    )
    paginator = Paginator(posts, POSTS_PER_PAGE)
    if page_number == "last":
        page_number = paginator.num_pages
    page = paginator.get_page(page_number if page_number is not None else request.GET.get("page"))
    posts = list(page.object_list)
    _decorate_posts(user, topic, posts, query=request.GET)

    last_read = _last_read_number(user, topic)
    if user.is_authenticated and posts:
        shown = max(p.number for p in posts)
        # Only a page that shows something new is worth a write.
        if last_read is None or shown > last_read:
            # Reading positions are a convenience: never a reason to fail a page.
            with contextlib.suppress(PermissionDenied, ValidationError):
                services.topic_read(actor=user, topic=topic, last_number=shown)
    if not caching.counted_with_lookup(request):
        services.topic_view_record(topic_id=topic.pk)

    can_reply = permissions.can_reply(user, topic)
    if reply_form is None and can_reply:
        reply_form = ReplyForm(initial=_composer_initial(request, topic))
    is_moderator = permissions.can_moderate_category(user, topic.category)
    context = {
        "topic": topic,
        "category": topic.category,
        "tags": list(topic.tags.all()),
        "posts": posts,
        "page": page,
        "paginator": paginator,
        "ordering": ordering,
        "default_ordering": default_ordering,
        "first_unread_url": (
            reverse("community:topic_post_number", args=[topic.pk, last_read + 1])
            if last_read and last_read < topic.highest_post_number
            else ""
        ),
        "can_reply": can_reply,
        "reply_refusal": "" if can_reply else _reply_refusal(user, topic),
        "reply_form": reply_form,
        "preview_html": preview_html,
        "follow_level": _topic_level(user, topic),
        "follow_action": reverse("community:topic_follow", args=[topic.pk]),
        "levels": _levels(),
        "is_moderator": is_moderator,
        "move_form": MoveForm(
            categories=[
                c
                for c in _flat_categories(_categories_for(user))
                if c.pk != topic.category_id and permissions.can_move_topic(user, topic, c)
            ]
        )
        if is_moderator
        else None,
        "can_pin_globally": permissions.can_pin_globally(user, topic),
        "can_unaccept": topic.accepted_answer_id is not None
        and topic.kind == TopicKind.QUESTION
        and permissions.can_accept_answer(user, topic),
    }
    return render(request, "community/topic.html", context, status=status)


def _composer_initial(request: HttpRequest, topic: Topic) -> dict:
    """Prefill the composer from `?quote=<post id>` and `?reply_to=<post id>` (the no-JS path
    of the Quote and Reply buttons)."""
    initial: dict = {}
    for key in ("quote", "reply_to"):
        raw = request.GET.get(key, "")
        if not raw.isdigit():
            continue
        try:
            post = selectors.post_get_for_user(user=request.user, post_id=int(raw))
        except Http404:
            continue
        if post.topic_id != topic.pk or post.state != ContentState.VISIBLE:
            continue
        if key == "quote":
            initial["body"] = rendering.quote_block(
                username=post.author_name, post_id=post.pk, source=post.body
            )
        initial["reply_to"] = post.pk
        initial["reply_name"] = post.author_name
    return initial


@require_GET
def topic_redirect(request: HttpRequest, topic_id: int) -> HttpResponse:
    """`/t/<id>/` → the canonical `/t/<id>-<slug>/`, keeping the query string."""
    topic = selectors.topic_get_for_user(user=request.user, topic_id=topic_id)
    return HttpResponseRedirect(_with_query(topic.get_absolute_url(), request), status=301)


def _topic_scopes(request: HttpRequest, topic_id: int, slug: str) -> list[str]:
    return [caching.topic_scope(topic_id)]


def _topic_view_counter(
    request: HttpRequest, topic_id: int, slug: str
) -> caching.HitCounter | None:
    # A page served from the anonymous cache is still a view of the topic.
    return services.topic_view_counter(topic_id=topic_id)


@require_GET
@caching.anonymous_page(_topic_scopes, counter=_topic_view_counter)
def topic_detail(request: HttpRequest, topic_id: int, slug: str) -> HttpResponse:
    topic = selectors.topic_get_for_user(user=request.user, topic_id=topic_id)
    if slug != topic.slug:
        return HttpResponseRedirect(_with_query(topic.get_absolute_url(), request), status=301)
    return _topic_page(request, topic)


@require_GET
def topic_post_number(request: HttpRequest, topic_id: int, number: int) -> HttpResponse:
    """`/t/<id>/<number>/`: the page showing that post (or the nearest one after it)."""
    topic = selectors.topic_get_for_user(user=request.user, topic_id=topic_id)
    posts = selectors.post_list_for_topic(user=request.user, topic=topic, ordering="oldest")
    post = posts.filter(number__gte=number).order_by("number").first()
    if post is None:
        post = posts.order_by("-number").first()
    if post is None:
        return redirect(topic)
    return redirect(_post_url(post, topic, request.user))


@require_GET
def post_permalink(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get_for_user(user=request.user, post_id=post_id)
    return redirect(_post_url(post, post.topic, request.user))


@require_POST
@member_required
def topic_reply(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = selectors.topic_get_for_user(user=request.user, topic_id=topic_id)
    form = ReplyForm(request.POST)
    last_page = "last"
    if not form.is_valid():
        return _topic_page(request, topic, reply_form=form, page_number=last_page)
    if "preview" in request.POST:
        preview = _render_preview(form.cleaned_data["body"])
        return _topic_page(
            request, topic, reply_form=form, preview_html=preview, page_number=last_page
        )
    reply_to = None
    if form.cleaned_data.get("reply_to"):
        try:
            reply_to = selectors.post_get_for_user(
                user=request.user, post_id=form.cleaned_data["reply_to"]
            )
        except Http404:
            reply_to = None
        if reply_to is not None and reply_to.topic_id != topic.pk:
            reply_to = None
    try:
        post = services.post_create(
            actor=request.user, topic=topic, body=form.cleaned_data["body"], reply_to=reply_to
        )
    except RateLimited as exc:  # before ValidationError, its parent class
        form.add_error(None, _slow_down_message(exc))
        response = _topic_page(request, topic, reply_form=form, page_number=last_page, status=429)
        response["Retry-After"] = str(_retry_after(exc))
        return response
    except PermissionDenied as exc:
        form.add_error(None, _messages_of(exc) or _reply_refusal(request.user, topic))
        return _topic_page(request, topic, reply_form=form, page_number=last_page, status=403)
    except ValidationError as exc:
        _errors_to_form(exc, form)
        return _topic_page(request, topic, reply_form=form, page_number=last_page)
    if post.state == ContentState.HELD:
        messages.info(
            request, _("Thanks! Your reply will appear once a moderator has reviewed it.")
        )
    return redirect(_post_url(post, topic, request.user))


# --- Composer: new topic, edit, preview -----------------------------------------------------


def _render_preview(body: str) -> str:
    """Sanitized HTML of `body`, exactly as a post would show it (mentions resolved)."""
    return rendering.render_markdown(body, resolve_mentions=usernames_existing).html


@require_POST
@member_required
def preview(request: HttpRequest) -> HttpResponse:
    form = PreviewForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "community/_preview.html",
            {"error": _("This text is too long to preview.")},
            status=400,
        )
    body = form.cleaned_data["body"]
    return render(
        request,
        "community/_preview.html",
        {"html": _render_preview(body) if body.strip() else "", "empty": not body.strip()},
    )


@member_required
def topic_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    categories = [
        c for c in _flat_categories(_categories_for(user)) if permissions.can_start_topic(user, c)
    ]
    wanted = request.GET.get("category")
    initial: dict = {}
    for category in categories:
        if category.slug == wanted:
            initial = {"category": category.pk, "kind": category.default_topic_kind}
    form = TopicForm(request.POST or None, categories=categories, initial=initial)
    context = {"form": form, "categories": categories, "preview_html": "", "nav": "new-topic"}
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "preview" in request.POST:
            context["preview_html"] = _render_preview(data["body"])
        else:
            try:
                topic = services.topic_create(
                    actor=user,
                    category=data["category"],
                    title=data["title"],
                    body=data["body"],
                    kind=data["kind"],
                    tags=data["tags"],
                )
            except RateLimited as exc:
                form.add_error(None, _slow_down_message(exc))
                response = render(request, "community/topic_new.html", context, status=429)
                response["Retry-After"] = str(_retry_after(exc))
                return response
            except PermissionDenied as exc:
                form.add_error(None, _messages_of(exc) or _("You may not start a topic there."))
                status = 403
            except ValidationError as exc:
                _errors_to_form(exc, form)
            else:
                if topic.state == ContentState.HELD:
                    messages.info(
                        request,
                        _("Thanks! Your topic will appear once a moderator has reviewed it."),
                    )
                return redirect(topic)
    return render(request, "community/topic_new.html", context, status=status)


@member_required
def post_edit(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get_for_user(user=request.user, post_id=post_id)
    topic = post.topic
    if not permissions.can_edit_post(request.user, post):
        raise PermissionDenied(_("You can no longer edit this post."))
    with_title = post.number == 1
    initial = {"body": post.body, "title": topic.title}
    form = PostEditForm(request.POST or None, initial=initial, with_title=with_title)
    context = {"form": form, "post": post, "topic": topic, "preview_html": ""}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "preview" in request.POST:
            context["preview_html"] = _render_preview(data["body"])
        else:
            try:
                services.post_edit(
                    actor=request.user,
                    post=post,
                    body=data["body"],
                    title=data.get("title") if with_title else None,
                    note=data.get("note", ""),
                )
            except RateLimited as exc:
                form.add_error(None, _slow_down_message(exc))
                response = render(request, "community/post_edit.html", context, status=429)
                response["Retry-After"] = str(_retry_after(exc))
                return response
            except PermissionDenied as exc:
                form.add_error(None, _messages_of(exc) or _("You can no longer edit this post."))
            except ValidationError as exc:
                _errors_to_form(exc, form)
            else:
                messages.success(request, _("Your changes are saved."))
                return redirect(_post_url(post, topic, request.user))
    return render(request, "community/post_edit.html", context)


@require_GET
def post_history(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get_for_user(user=request.user, post_id=post_id)
    revisions = selectors.post_revisions(user=request.user, post=post)
    return render(
        request,
        "community/post_history.html",
        {"post": post, "topic": post.topic, "revisions": revisions},
    )


@require_GET
def post_quote(request: HttpRequest, post_id: int) -> HttpResponse:
    """The Markdown that quotes a post, for the Quote button to insert into the composer."""
    post = selectors.post_get_for_user(user=request.user, post_id=post_id)
    if post.state != ContentState.VISIBLE:
        raise Http404("Nothing to quote")
    return JsonResponse(
        {
            "markdown": rendering.quote_block(
                username=post.author_name, post_id=post.pk, source=post.body
            ),
            "post_id": post.pk,
        }
    )


# --- Votes, answers, deletion ---------------------------------------------------------------


@require_POST
@member_required
def post_vote(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get_for_user(user=request.user, post_id=post_id)
    back = _safe_next(request, post.get_absolute_url())
    form = VoteForm(request.POST)
    context = {"post": post, "may_vote": True}
    if not form.is_valid():
        return _refused(
            request,
            ValidationError(_("Choose up or down.")),
            back=back,
            fragment="community/_vote.html",
            **context,
        )
    try:
        voted = services.vote_cast(actor=request.user, post=post, value=form.cleaned_data["value"])
    except (PermissionDenied, ValidationError, RateLimited) as exc:
        # The fragment shows the arrows as they were: the member's current vote, if any.
        post.my_vote = (
            Vote.objects.filter(post=post, user=request.user)
            .values_list("value", flat=True)
            .first()
            or 0
        )
        return _refused(request, exc, back=back, fragment="community/_vote.html", **context)
    if getattr(request, "htmx", False):
        return render(
            request, "community/_vote.html", {"post": voted, "may_vote": True, "announce": True}
        )
    return redirect(back)


@require_POST
@member_required
def answer_accept(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get_for_user(user=request.user, post_id=post_id)
    topic = post.topic
    try:
        services.answer_accept(actor=request.user, topic=topic, post=post)
    except (PermissionDenied, ValidationError, RateLimited) as exc:
        return _refused(request, exc, back=_post_url(post, topic, request.user))
    messages.success(request, _("Answer accepted. Thanks for closing the loop!"))
    return redirect(_post_url(post, topic, request.user))


@require_POST
@member_required
def answer_unaccept(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = selectors.topic_get_for_user(user=request.user, topic_id=topic_id)
    try:
        services.answer_unaccept(actor=request.user, topic=topic)
    except (PermissionDenied, ValidationError, RateLimited) as exc:
        return _refused(request, exc, back=topic.get_absolute_url())
    messages.success(request, _("The answer is no longer marked as accepted."))
    return redirect(topic)


@require_POST
@member_required
def post_delete(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get_for_user(user=request.user, post_id=post_id)
    topic = post.topic
    try:
        services.post_delete(actor=request.user, post=post)
    except (PermissionDenied, ValidationError, RateLimited) as exc:
        return _refused(request, exc, back=_post_url(post, topic, request.user))
    if post.number == 1:
        messages.success(request, _("Your topic is deleted."))
        return redirect(topic.category)
    messages.success(request, _("Your post is deleted."))
    return redirect(_post_url(post, topic, request.user))


# --- Moderator tools ------------------------------------------------------------------------


@require_POST
@member_required
def topic_moderate(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = selectors.topic_get_for_user(user=request.user, topic_id=topic_id)
    form = ModerateForm(request.POST)
    if not form.is_valid():
        raise Http404("No such action")
    action = form.cleaned_data["action"]
    calls = {
        "lock": (services.topic_lock, {}, _("Topic locked.")),
        "unlock": (services.topic_unlock, {}, _("Topic unlocked.")),
        "close": (services.topic_close, {}, _("Topic closed.")),
        "reopen": (services.topic_reopen, {}, _("Topic reopened.")),
        "pin": (services.topic_pin, {"globally": False}, _("Topic pinned in its category.")),
        "pin_globally": (services.topic_pin, {"globally": True}, _("Topic pinned everywhere.")),
        "unpin": (services.topic_unpin, {}, _("Topic unpinned.")),
    }
    service, extra, done = calls[action]
    try:
        service(actor=request.user, topic=topic, **extra)
    except (PermissionDenied, ValidationError, RateLimited) as exc:
        return _refused(request, exc, back=topic.get_absolute_url())
    messages.success(request, done)
    return redirect(topic)


@require_POST
@member_required
def topic_move(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = selectors.topic_get_for_user(user=request.user, topic_id=topic_id)
    if not permissions.can_moderate_category(request.user, topic.category):
        return _refused(request, PermissionDenied(), back=topic.get_absolute_url())
    form = MoveForm(request.POST, categories=_flat_categories(_categories_for(request.user)))
    if not form.is_valid():
        return _refused(
            request, ValidationError(_("Choose a category.")), back=topic.get_absolute_url()
        )
    try:
        services.topic_move(actor=request.user, topic=topic, category=form.cleaned_data["category"])
    except (PermissionDenied, ValidationError, RateLimited) as exc:
        return _refused(request, exc, back=topic.get_absolute_url())
    messages.success(
        request,
        _("Topic moved to %(category)s.") % {"category": form.cleaned_data["category"].name},
    )
    return redirect(topic)


# --- Search ---------------------------------------------------------------------------------

SEARCH_PER_PAGE = 20
SEARCH_MIN_LENGTH = 2


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    categories = _flat_categories(_categories_for(request.user))
    form = SearchForm(request.GET or None, categories=categories)
    context: dict = {"form": form, "nav": "search", "results": None, "notice": ""}
    if form.is_bound:
        form.is_valid()  # a bad filter is shown on its field and left out; the rest applies
        data = form.cleaned_data
        query = data.get("q", "")
        if "q" in form.errors:
            context["notice"] = _("That search is too long: try fewer words.")
        elif not query:
            context["notice"] = _("Type a few words to search the community.")
        elif len(query.replace(" ", "")) < SEARCH_MIN_LENGTH:
            context["notice"] = _("Type at least two letters.")
        else:
            page = _page_number(request)
            results = search.search_posts(
                user=request.user,
                query=query,
                category=data.get("category"),
                tag=data.get("tag") or None,
                kind=data.get("kind") or None,
                author=data.get("author") or None,
                limit=SEARCH_PER_PAGE,
                offset=(page - 1) * SEARCH_PER_PAGE,
            )
            context.update({"results": results, "query": query, "page": page})
    return render(request, "community/search.html", context)


# --- Profile section ------------------------------------------------------------------------

PROFILE_RECENT_POSTS = 10


def profile_recent_posts(request: HttpRequest, member) -> dict:
    """Context of the "Recent posts" section of a member's profile (registered in apps.py)."""
    posts = list(
        selectors.user_recent_posts(user=member, viewer=request.user, limit=PROFILE_RECENT_POSTS)
    )
    for post in posts:
        post.excerpt = rendering.plain_text(post.body_html, 160)
    return {"member": member, "posts": posts}
