"""Every non-trivial read of the community, shaped for pages and the API.

Querysets come with the ``select_related``/``prefetch_related``/annotations their pages need,
so a page costs a fixed number of queries whatever its length. ``*_get_for_user`` selectors
are the one door to user-visible objects: they raise ``Http404`` when the user may not see the
object (never 403: existence is not disclosed). Unknown orderings and periods fall back to
the default rather than raising, so a hand-edited query string never ends in a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from community import permissions
from community.diffing import Chunk, diff_text
from community.models import (
    Category,
    ContentState,
    Post,
    ReadPosition,
    Tag,
    Topic,
    TopicKind,
    TopicSubscription,
    Vote,
)
from community.ranking import TOP_PERIODS, top_period_start

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

    AnyUser = User | AnonymousUser | None

TOPIC_ORDERINGS = ("latest", "new", "top", "hot", "unanswered")
POST_ORDERINGS = ("oldest", "best")
DEFAULT_TOP_PERIOD = "all"

_OWN_PENDING_STATES = (ContentState.HELD, ContentState.HIDDEN, ContentState.REMOVED)
_GONE_STATES = (ContentState.DELETED, ContentState.REMOVED)


def _authenticated(user: AnyUser) -> bool:
    return bool(user is not None and user.is_authenticated)


def _as_int(value: object) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("Not an id") from None


# --- Categories and tags -----------------------------------------------------------------------


def category_list(*, user: AnyUser) -> list[Category]:
    """Top-level categories in display order, each with ``children`` prefetched (two queries)
    and ``total_topic_count``/``total_post_count`` including its subcategories."""
    children = Prefetch("children", queryset=Category.objects.order_by("position", "name"))
    categories = [
        category
        for category in Category.objects.filter(parent=None).prefetch_related(children)
        if permissions.can_view_category(user, category)
    ]
    for category in categories:
        kids = list(category.children.all())
        category.total_topic_count = category.topic_count + sum(c.topic_count for c in kids)
        category.total_post_count = category.post_count + sum(c.post_count for c in kids)
    return categories


def category_get(*, slug: str) -> Category:
    """The category with this slug (its parent loaded), or 404."""
    return get_object_or_404(Category.objects.select_related("parent"), slug=str(slug))


def tag_list(*, limit: int | None = None) -> QuerySet[Tag]:
    """Tags used by at least one visible topic, most used first."""
    tags = Tag.objects.filter(topic_count__gt=0).order_by("-topic_count", "name")
    return tags[:limit] if limit else tags


def tag_get(*, slug: str) -> Tag:
    return get_object_or_404(Tag, slug=str(slug))


# --- Topics ----------------------------------------------------------------------------------


def _with_read_positions(topics: QuerySet[Topic], user: AnyUser) -> QuerySet[Topic]:
    """Annotate ``last_read_number`` (None: never opened) and ``unread_count`` (posts after
    the last one read; 0 when never opened — the list shows "new" then)."""
    if not _authenticated(user):
        return topics.annotate(
            last_read_number=Value(None, output_field=IntegerField()),
            unread_count=Value(0, output_field=IntegerField()),
        )
    last_read = ReadPosition.objects.filter(user=user.pk, topic=OuterRef("pk")).values(
        "last_read_number"
    )[:1]
    return topics.annotate(
        last_read_number=Subquery(last_read, output_field=IntegerField())
    ).annotate(
        unread_count=Case(
            When(last_read_number__isnull=True, then=Value(0)),
            default=Greatest(F("highest_post_number") - F("last_read_number"), Value(0)),
            output_field=IntegerField(),
        )
    )


def _visible_topics(
    *,
    category: Category | None,
    tag: Tag | str | None,
    author: User | None,
    kind: str | None,
    filters: dict[str, Any] | None,
) -> QuerySet[Topic]:
    """Visible topics narrowed by the list's scope and filters (no ordering yet)."""
    topics = Topic.objects.filter(state=ContentState.VISIBLE)
    if category is not None:
        # Ids rather than a join on the parent: `category_id IN (…)` lets PostgreSQL walk the
        # (category, last activity) index. The children are prefetched on the category, so
        # the page's subcategory list costs no second query.
        prefetch_related_objects([category], "children")
        ids = [category.pk, *(child.pk for child in category.children.all())]
        topics = topics.filter(category_id__in=ids)
    if tag is not None:
        topics = topics.filter(tags__slug=tag if isinstance(tag, str) else tag.slug)
    if author is not None:
        topics = topics.filter(author=author)
    if kind:
        topics = topics.filter(kind=kind)
    if filters:
        from community.filters import TopicFilterSet

        topics = TopicFilterSet(data=filters, queryset=topics).qs
    return topics


def _pinned_here(category: Category | None) -> Q:
    """Pinned on this list: pinned everywhere, or pinned in the category being listed."""
    pinned_here = Q(pinned_globally=True)
    if category is not None:
        pinned_here |= Q(pinned=True, category=category)
    return pinned_here


def topic_list(
    *,
    user: AnyUser,
    category: Category | None = None,
    tag: Tag | str | None = None,
    ordering: str = "latest",
    period: str | None = None,
    author: User | None = None,
    kind: str | None = None,
    filters: dict[str, Any] | None = None,
) -> QuerySet[Topic]:
    """Visible topics for a list page, as a lazy queryset ready to paginate.

    ``category`` includes its subcategories. Orderings: ``latest`` (last activity; pinned
    topics first — pinned everywhere on every list, pinned in a category on that category's
    list), ``new`` (creation), ``top`` (score within ``period``: day/week/month/year/all),
    ``hot`` (stored time-decayed score), ``unanswered`` (questions without replies nor
    accepted answer, newest first). ``filters`` is the data of :class:`TopicFilterSet`
    (invalid values are ignored). Each topic has ``category``, ``author`` and ``tags``
    loaded, plus ``is_pinned_here``, ``last_read_number`` and ``unread_count`` annotations.
    Costs: one query for the page plus one for the tags (plus the paginator's COUNT).

    A category's ``latest`` list sorts on an expression no index can serve; pages should
    read it through :func:`topic_list_pinned_first` (same rows, same order, index scans)."""
    topics = _visible_topics(
        category=category, tag=tag, author=author, kind=kind, filters=filters
    ).annotate(
        is_pinned_here=ExpressionWrapper(_pinned_here(category), output_field=BooleanField())
    )

    ordering = ordering if ordering in TOPIC_ORDERINGS else "latest"
    if ordering == "latest" and category is None:
        # Pinned here is pinned everywhere: a plain column, so the index
        # topic_latest_pinned_visible serves the sort (see bench/README.md).
        topics = topics.order_by("-pinned_globally", "-last_activity_at", "-pk")
    elif ordering == "latest":
        topics = topics.order_by("-is_pinned_here", "-last_activity_at", "-pk")
    elif ordering == "new":
        topics = topics.order_by("-created_at", "-pk")
    elif ordering == "top":
        start = top_period_start(
            period if period in TOP_PERIODS else DEFAULT_TOP_PERIOD, timezone.now()
        )
        if start is not None:
            topics = topics.filter(created_at__gte=start)
        topics = topics.order_by("-score", "-created_at", "-pk")
    elif ordering == "hot":
        topics = topics.order_by("-hot", "-pk")
    else:  # unanswered
        topics = topics.filter(
            kind=TopicKind.QUESTION, reply_count=0, accepted_answer__isnull=True
        ).order_by("-created_at", "-pk")

    topics = topics.select_related("category", "author").prefetch_related("tags")
    return _with_read_positions(topics, user)


class PinnedFirst:
    """A ``latest`` list read as two index-friendly queries: the few topics pinned here,
    then all the others by last activity — the rows and order of the single query that
    sorts on "pinned here", without its sort over every visible topic.

    Sliceable and iterable like that queryset (what ``ListPage`` and Django's ``Paginator``
    need). A slice costs one query for the pinned topics (once per object), one for the
    others it needs and one for the tags of all its rows."""

    def __init__(self, *, pinned: QuerySet[Topic], others: QuerySet[Topic]):
        self._pinned_query = pinned
        self._others = others
        self._pinned: list[Topic] | None = None

    def _pinned_topics(self) -> list[Topic]:
        if self._pinned is None:
            self._pinned = list(self._pinned_query)
        return self._pinned

    def count(self) -> int:
        return len(self._pinned_topics()) + self._others.count()

    def __len__(self) -> int:
        return self.count()

    def __iter__(self):
        return iter(self[0:])

    def __getitem__(self, index: int | slice) -> Topic | list[Topic]:
        if isinstance(index, int):
            if index < 0:
                raise IndexError("negative indexing is not supported")
            rows = self[index : index + 1]
            if not rows:
                raise IndexError("topic list index out of range")
            return rows[0]
        start, stop = index.start or 0, index.stop
        if index.step not in (None, 1) or start < 0 or (stop is not None and stop < 0):
            raise ValueError("only forward slices without a step are supported")
        pinned = self._pinned_topics()
        rows = pinned[start:stop]
        if stop is None or stop > len(pinned):
            first = max(start - len(pinned), 0)
            last = None if stop is None else stop - len(pinned)
            rows += list(self._others[first:last])
        prefetch_related_objects(rows, "tags")
        return rows


def topic_list_pinned_first(
    *, user: AnyUser, category: Category | None = None, ordering: str = "latest", **scope: Any
) -> QuerySet[Topic] | PinnedFirst:
    """What :func:`topic_list` returns (``scope``: its ``tag``, ``period``, ``author``,
    ``kind`` and ``filters``), shaped for a page: a category's ``latest`` list comes as
    :class:`PinnedFirst` (its pinned topics, then the others along the index on (category,
    last activity)); every other list is :func:`topic_list`'s queryset, whose sort an index
    already serves."""
    arguments = {"user": user, "category": category, "ordering": ordering, **scope}
    if category is None or (ordering if ordering in TOPIC_ORDERINGS else "latest") != "latest":
        return topic_list(**arguments)
    topics = topic_list(**arguments).prefetch_related(None)
    pinned_here = _pinned_here(category)
    return PinnedFirst(
        pinned=topics.filter(pinned_here),
        others=topics.exclude(pinned_here).order_by("-last_activity_at", "-pk"),
    )


def topic_get_for_user(*, user: AnyUser, topic_id: int | str) -> Topic:
    """The topic if ``user`` may see it, else 404 — the one door to a topic page.

    Loads ``category`` (and its parent), ``author`` and ``accepted_answer``; annotates
    ``last_read_number``/``unread_count`` like :func:`topic_list`, and for a signed-in user
    ``follow_level`` (their subscription's level, None without one) and whether they moderate
    the topic's category (remembered on the user object, see
    ``permissions.remember_category_moderation``). One query."""
    topics = Topic.objects.select_related("category", "category__parent", "author")
    if _authenticated(user):
        topics = topics.annotate(
            follow_level=Subquery(
                TopicSubscription.objects.filter(user=user.pk, topic=OuterRef("pk")).values(
                    "level"
                )[:1],
                output_field=IntegerField(),
            ),
            viewer_moderates=Exists(
                Category.moderators.through.objects.filter(
                    category_id=OuterRef("category_id"), user_id=user.pk
                )
            ),
        )
    topic = _with_read_positions(topics, user).filter(pk=_as_int(topic_id)).first()
    if topic is not None and _authenticated(user):
        permissions.remember_category_moderation(user, topic.category_id, topic.viewer_moderates)
    if topic is None or not permissions.can_view_topic(user, topic):
        raise Http404("No such topic")
    return topic


# --- Posts -----------------------------------------------------------------------------------


def _post_visibility(user: AnyUser, topic: Topic, *, placeholders: bool = False) -> Q:
    if permissions.can_moderate_topic(user, topic):
        return Q()
    shown = Q(state=ContentState.VISIBLE)
    if placeholders:
        shown |= Q(state__in=_GONE_STATES)
    if _authenticated(user):
        shown |= Q(author=user.pk, state__in=_OWN_PENDING_STATES)
    return shown


def _placeholder(user: AnyUser, topic: Topic, *, placeholders: bool):
    """True for the rows shown as a one-line placeholder: deleted posts, and removed posts of
    others; moderators of the category see everything in full."""
    if not placeholders or permissions.can_moderate_topic(user, topic):
        return Value(False, output_field=BooleanField())
    gone = Q(state=ContentState.DELETED)
    if _authenticated(user):
        gone |= Q(state=ContentState.REMOVED) & ~Q(author=user.pk)
    else:
        gone |= Q(state=ContentState.REMOVED)
    return ExpressionWrapper(gone, output_field=BooleanField())


def post_list_for_topic(
    *, user: AnyUser, topic: Topic, ordering: str = "oldest", placeholders: bool = False
) -> QuerySet[Post]:
    """The posts of ``topic`` that ``user`` may see, ready to paginate.

    Visible posts, plus the viewer's own held/hidden/removed ones (``awaiting_review`` is
    True for held ones, so the page can say so); moderators of the category see all.
    ``oldest``: by number. ``best``: first post, then the accepted answer, then by Wilson
    lower bound, then by number. Annotations: ``my_vote`` (-1, 0, 1), ``is_accepted``,
    ``awaiting_review``, ``reply_to_number``, ``reply_to_author_name``, ``collapsed``.
    ``author`` is loaded. One query per page, whatever its size.

    ``placeholders`` (the topic page, in the ``oldest`` ordering only) also lists deleted
    posts and other members' removed posts, with ``collapsed`` True: the page shows them as
    a one-line "deleted by its author" / "removed by the moderators" so that a thread does
    not silently skip a number, and must show nothing else of them — their text is loaded
    (one query for the page) but is not for display. Without it ``collapsed`` is always
    False and those posts are left out."""
    placeholders = placeholders and ordering != "best"
    posts = Post.objects.filter(topic=topic).filter(
        _post_visibility(user, topic, placeholders=placeholders)
    )
    if _authenticated(user):
        mine = Vote.objects.filter(post=OuterRef("pk"), user=user.pk).values("value")[:1]
        my_vote = Coalesce(Subquery(mine, output_field=IntegerField()), Value(0))
    else:
        my_vote = Value(0, output_field=IntegerField())
    if topic.accepted_answer_id:
        is_accepted = ExpressionWrapper(Q(pk=topic.accepted_answer_id), output_field=BooleanField())
    else:
        is_accepted = Value(False, output_field=BooleanField())
    posts = posts.annotate(
        my_vote=my_vote,
        is_accepted=is_accepted,
        awaiting_review=ExpressionWrapper(Q(state=ContentState.HELD), output_field=BooleanField()),
        reply_to_number=F("reply_to__number"),
        reply_to_author_name=F("reply_to__author_name"),
        collapsed=_placeholder(user, topic, placeholders=placeholders),
    )
    if ordering == "best":
        posts = posts.annotate(
            best_group=Case(
                When(number=1, then=Value(0)),
                When(is_accepted=True, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        ).order_by("best_group", "-wilson", "number")
    else:
        posts = posts.order_by("number")
    return posts.select_related("author").defer("search_vector")


def post_get_for_user(*, user: AnyUser, post_id: int | str) -> Post:
    """The post if ``user`` may see it (with ``topic``, its category and ``author``), else 404."""
    post = (
        Post.objects.select_related("topic", "topic__category", "author")
        .defer("search_vector")
        .filter(pk=_as_int(post_id))
        .first()
    )
    if post is None or not permissions.can_view_post(user, post):
        raise Http404("No such post")
    return post


def post_page_number(
    *, post: Post, per_page: int, user: AnyUser = None, placeholders: bool = False
) -> int:
    """The page (1-based) of the "oldest" ordering on which ``post`` appears, for permalinks.
    Pass ``user`` to count exactly the posts that user sees (moderators see more), and
    ``placeholders`` as the list was built (:func:`post_list_for_topic`)."""
    per_page = max(int(per_page), 1)
    before = (
        Post.objects.filter(topic_id=post.topic_id, number__lt=post.number)
        .filter(_post_visibility(user, post.topic, placeholders=placeholders))
        .count()
    )
    return before // per_page + 1


@dataclass(frozen=True)
class PostEdit:
    """One edit of a post: who, when, why, and what changed (``chunks`` from diff_text)."""

    number: int
    edited_at: datetime
    edited_by_name: str
    note: str
    old_title: str
    new_title: str
    chunks: list[Chunk]

    @property
    def title_changed(self) -> bool:
        return self.old_title != self.new_title


def _is_automatic_replacement(revision) -> bool:
    # post_body_replace by the system: no editor account, the system's name.
    return revision.edited_by_id is None and revision.edited_by_name == "system"


def post_revisions(*, user: AnyUser, post: Post) -> list[PostEdit]:
    """The edit history of a post, oldest edit first (404 if the user may not see the post).

    Each PostRevision holds the text *before* its edit, so edit k turns revision k's text
    into revision k+1's (or the current text for the last edit). An automatic replacement
    (a watched word, ``services.post_body_replace`` by the system) is listed with its note,
    but only moderators of the category see the words it replaced: for everyone else the
    text before it is the text after it. One query."""
    if not permissions.can_view_post(user, post):
        raise Http404("No such post")
    revisions = list(post.revisions.order_by("number"))
    texts = [revision.body for revision in revisions] + [post.body]
    if not permissions.can_moderate_topic(user, post.topic):
        for index in range(len(revisions) - 1, -1, -1):
            if _is_automatic_replacement(revisions[index]):
                texts[index] = texts[index + 1]
    current_title = post.topic.title if post.is_first else ""
    titles = [revision.title for revision in revisions] + [current_title]
    return [
        PostEdit(
            number=revision.number,
            edited_at=revision.created_at,
            edited_by_name=revision.edited_by_name,
            note=revision.note_text,
            old_title=titles[index],
            new_title=titles[index + 1],
            chunks=diff_text(texts[index], texts[index + 1]),
        )
        for index, revision in enumerate(revisions)
    ]


def user_recent_posts(*, user: User, viewer: AnyUser, limit: int = 10) -> list[Post]:
    """A member's latest visible posts (profile page), with ``topic`` and its category loaded.
    One query, on the (author, -created_at) index."""
    return list(
        Post.objects.filter(
            author=user, state=ContentState.VISIBLE, topic__state=ContentState.VISIBLE
        )
        .select_related("topic", "topic__category")
        .defer("search_vector", "body")
        .order_by("-created_at")[: max(int(limit), 0)]
    )
