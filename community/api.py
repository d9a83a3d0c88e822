"""API v1 for community: categories, topics, posts, votes, revisions and search (mounted under
/api/v1/ by config/api/urls.py).

Thin, like the web views: parse the input with a serializer, fetch through
``community.selectors`` (``*_get_for_user`` answers 404 for what the caller may not see), write
through ``community.services`` (which check permissions and limits), respond. Services raise
Django's errors; ``config.api.exceptions`` turns them into 400/403/404/409/429.

Lists use keyset cursors (``config.api.pagination.KeysetCursorPagination``): a page is the
rows after the last one seen by the whole ordering tuple, so topics created meanwhile neither
repeat nor hide rows on the next page. The "latest" list floats pinned topics first, as the
web's does: pinned everywhere on every list (a plain column, served by the index the web uses),
pinned in a category on that category's list (``is_pinned_here``, an expression: such a list
sorts the category's topics, a cost paid on the API only — the web reads it in two queries
with ``community.selectors.PinnedFirst``, which a keyset cursor cannot follow).
"""

from __future__ import annotations

import operator
import re
from functools import reduce

from django.contrib.postgres.search import SearchQuery
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from community import search, selectors, services
from community.filters import TopicFilterSet
from community.models import Category, Post, Topic, TopicKind
from community.serializers import (
    CategoryListSerializer,
    CategorySerializer,
    PostCreateInputSerializer,
    PostListQuerySerializer,
    PostSerializer,
    PostUpdateInputSerializer,
    RevisionListSerializer,
    RevisionSerializer,
    SearchHitSerializer,
    SearchQuerySerializer,
    TopicCreateInputSerializer,
    TopicDetailSerializer,
    TopicListQuerySerializer,
    TopicSerializer,
    TopicUpdateInputSerializer,
    VoteInputSerializer,
    VoteResultSerializer,
    error_responses,
)
from config.api.pagination import KeysetCursorPagination, page_body

TAG = "community"
_WORD_RE = re.compile(r"\w+")

#: Keyset orderings of the topic lists (every field non-null, the last one unique).
TOPIC_CURSOR_ORDERINGS = {
    "latest": ("-pinned_globally", "-last_activity_at", "-pk"),
    "new": ("-created_at", "-pk"),
    "top": ("-score", "-created_at", "-pk"),
    "hot": ("-hot", "-pk"),
}
#: A category's "latest" list: its pinned topics too (``topic_list``'s annotation).
CATEGORY_LATEST_CURSOR_ORDERING = ("-is_pinned_here", "-last_activity_at", "-pk")
POST_CURSOR_ORDERINGS = {
    "oldest": ("number",),
    "best": ("best_group", "-wilson", "number"),
}
#: The filters of the topic list handled by community.filters.TopicFilterSet.
TOPIC_FILTERSET_KEYS = ("tag", "kind", "status", "author", "unanswered")


# --- Helpers ----------------------------------------------------------------------------------


def _category_lookup(value: str) -> Category | None:
    """A category by id (digits) or slug; None when there is none."""
    value = str(value).strip()
    if value.isdigit():
        return Category.objects.filter(pk=int(value)).first()
    return Category.objects.filter(slug=value).first()


def _topics_matching(topics: QuerySet[Topic], text: str) -> QuerySet[Topic]:
    """Topics whose title or first post matches ``text``, matched as community.search matches
    posts: PostgreSQL full text in both languages (the first post's vector holds the title),
    or every word with LIKE on SQLite. A query without words filters nothing."""
    text = search.normalise_query(text)
    if not text:
        return topics
    first_posts = Post.objects.filter(topic=OuterRef("pk"), number=1)
    if connection.vendor == "postgresql":
        configs = sorted(set(search.SEARCH_CONFIGS.values()))
        tsquery = reduce(
            operator.or_,
            (SearchQuery(text, search_type="websearch", config=config) for config in configs),
        )
        return topics.filter(Exists(first_posts.filter(search_vector=tsquery)))
    words = list(dict.fromkeys(word.lower() for word in _WORD_RE.findall(text)))
    for word in words[: search.MAX_TERMS]:
        topics = topics.filter(
            Q(title__icontains=word) | Exists(first_posts.filter(body__icontains=word))
        )
    return topics


def _post_for_response(user, post: Post) -> Post:
    """``post`` with the annotations of the lists (``my_vote``, ``is_accepted``…), through the
    same selector: one query."""
    annotated = (
        selectors.post_list_for_topic(user=user, topic=post.topic).filter(pk=post.pk).first()
    )
    if annotated is None:
        raise Http404("No such post")
    annotated.topic = post.topic
    return annotated


def _topic_for_response(user, topic_id: int) -> Topic:
    """The topic as the detail endpoint shows it: tags and first post (with ``my_vote``)."""
    topic = selectors.topic_get_for_user(user=user, topic_id=topic_id)
    topic.first_post = (
        selectors.post_list_for_topic(user=user, topic=topic).filter(number=1).first()
    )
    if topic.first_post is not None:
        topic.first_post.topic = topic
    return topic


def _first_post(user, topic: Topic) -> Post:
    post = Post.objects.filter(topic=topic, number=1).values_list("pk", flat=True).first()
    if post is None:
        raise Http404("No such post")
    return selectors.post_get_for_user(user=user, post_id=post)


def _pins_set(actor, topic: Topic, data: dict) -> None:
    """Apply ``pinned``/``pinned_globally`` of a PATCH. ``topic_unpin`` clears both flags, so
    an unpin comes first and the flag that should stay is set again afterwards."""
    unpin = data.get("pinned") is False or data.get("pinned_globally") is False
    if unpin:
        services.topic_unpin(actor=actor, topic=topic)
    if data.get("pinned_globally") is True or (
        unpin and topic.pinned_globally and "pinned_globally" not in data
    ):
        services.topic_pin(actor=actor, topic=topic, globally=True)
    if data.get("pinned") is True or (unpin and topic.pinned and "pinned" not in data):
        services.topic_pin(actor=actor, topic=topic, globally=False)


def _check(serializer_class, data, **kwargs):
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- Schema pieces --------------------------------------------------------------------------------

AUTHOR_EXAMPLE = {"username": "alice", "display_name": "Alice Martin"}
CATEGORY_REF_EXAMPLE = {"id": 3, "slug": "aurora", "name": "Aurora kettles"}
POST_EXAMPLE = {
    "id": 812,
    "topic": 145,
    "number": 2,
    "url": "/p/812/",
    "author": AUTHOR_EXAMPLE,
    "author_name": "alice",
    "reply_to": 811,
    "reply_to_number": 1,
    "body": "Descale it with **citric acid**.",
    "body_html": "<p>Descale it with <strong>citric acid</strong>.</p>",
    "created_at": "2026-11-20T09:12:44Z",
    "edited_at": None,
    "edit_count": 0,
    "score": 4,
    "upvotes": 4,
    "downvotes": 0,
    "my_vote": 1,
    "is_official": False,
    "is_accepted": True,
    "state": "visible",
    "state_reason": "",
}
TOPIC_EXAMPLE = {
    "id": 145,
    "title": "My Aurora kettle whistles when it boils",
    "slug": "my-aurora-kettle-whistles-when-it-boils",
    "url": "/t/145-my-aurora-kettle-whistles-when-it-boils/",
    "category": CATEGORY_REF_EXAMPLE,
    "author": {"username": "bob", "display_name": ""},
    "author_name": "bob",
    "kind": "question",
    "state": "visible",
    "tags": ["aurora", "descaling"],
    "pinned": False,
    "pinned_globally": False,
    "locked": False,
    "closed": False,
    "accepted_answer": 812,
    "created_at": "2026-11-20T08:01:02Z",
    "last_activity_at": "2026-11-20T09:12:44Z",
    "last_poster_name": "alice",
    "reply_count": 3,
    "view_count": 57,
    "score": 2,
    "last_read_number": 4,
    "unread_count": 0,
}
TOPIC_DETAIL_EXAMPLE = {
    **TOPIC_EXAMPLE,
    "follow_level": 3,
    "first_post": {
        **POST_EXAMPLE,
        "id": 811,
        "number": 1,
        "url": "/p/811/",
        "author": {"username": "bob", "display_name": ""},
        "author_name": "bob",
        "reply_to": None,
        "reply_to_number": None,
        "body": "It whistles loudly. Is that normal?",
        "body_html": "<p>It whistles loudly. Is that normal?</p>",
        "is_accepted": False,
        "my_vote": 0,
    },
}


def _page(example: dict) -> dict:
    return page_body(example, next_url="https://community.example/api/v1/topics/?cursor=Wy4uLl0")


TOPIC_FILTER_PARAMETERS = [
    OpenApiParameter(
        "ordering",
        str,
        enum=list(TOPIC_CURSOR_ORDERINGS),
        description="latest (last activity, default), new (creation), top (score), hot.",
    ),
    OpenApiParameter(
        "period",
        str,
        enum=["day", "week", "month", "year", "all"],
        description="With ordering=top: only topics created in this period (default all).",
    ),
    OpenApiParameter(
        "category",
        str,
        description="A category's slug or id; its subcategories' topics are included.",
    ),
    OpenApiParameter("tag", str, description="A tag's slug."),
    OpenApiParameter("kind", str, enum=TopicKind.values),
    OpenApiParameter("status", str, enum=["open", "closed", "locked", "pinned"]),
    OpenApiParameter("author", str, description="The author's username."),
    OpenApiParameter(
        "unanswered", bool, description="true: questions without reply nor accepted answer."
    ),
    OpenApiParameter("search", str, description="Words of the title or the first post."),
]


# --- Categories -----------------------------------------------------------------------------------


class CategoryListView(APIView):
    @extend_schema(
        operation_id="categories_list",
        tags=[TAG],
        responses={200: CategoryListSerializer},
        description="Every category in display order, each subcategory right after its "
        "parent (`parent` is its id). One page: `next` and `previous` are null. "
        "`can_start_topic` answers for the caller.",
        examples=[
            OpenApiExample(
                "Categories",
                response_only=True,
                value={
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "id": 3,
                            "name": "Aurora kettles",
                            "slug": "aurora",
                            "description": "Questions and tips about the Aurora range.",
                            "colour": "#1f5fbf",
                            "position": 1,
                            "parent": None,
                            "default_topic_kind": "question",
                            "min_trust_to_start": 0,
                            "min_trust_to_reply": 0,
                            "read_only": False,
                            "pre_moderated": False,
                            "language": "en",
                            "topic_count": 412,
                            "post_count": 2930,
                            "last_activity_at": "2026-11-20T09:12:44Z",
                            "url": "/c/aurora/",
                            "can_start_topic": True,
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request):
        flat: list[Category] = []
        for category in selectors.category_list(user=request.user):
            flat.append(category)
            flat.extend(category.children.all())
        data = CategorySerializer(flat, many=True, context={"request": request}).data
        return Response(page_body(*data))


# --- Topics ---------------------------------------------------------------------------------------


class TopicListView(GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = KeysetCursorPagination
    filter_backends: list = []

    @extend_schema(
        operation_id="topics_list",
        tags=[TAG],
        parameters=TOPIC_FILTER_PARAMETERS,
        responses={200: TopicSerializer(many=True), **error_responses(400)},
        description="Visible topics. Filters combine; an unknown category, tag or author "
        "gives an empty list. `last_read_number`/`unread_count` are the caller's. "
        "`ordering=latest` (the default) lists pinned topics first, as the web does: those "
        "pinned everywhere, and on a category's list those pinned in that category.",
        examples=[OpenApiExample("Page of topics", value=_page(TOPIC_EXAMPLE), response_only=True)],
    )
    def get(self, request):
        params = TopicListQuerySerializer(data=request.query_params)
        filters = {
            key: request.query_params[key]
            for key in TOPIC_FILTERSET_KEYS
            if request.query_params.get(key, "") != ""
        }
        filterset = TopicFilterSet(data=filters, queryset=Topic.objects.none())
        # Both checked before answering, so that one 400 names every bad parameter.
        if not (params.is_valid() & filterset.is_valid()):
            raise exceptions.ValidationError({**params.errors, **filterset.errors})
        query = params.validated_data
        category = None
        if query.get("category"):
            category = _category_lookup(query["category"])
        topics = selectors.topic_list(
            user=request.user,
            category=category,
            ordering=query["ordering"],
            period=query["period"],
            filters=filters or None,
        )
        if query.get("category") and category is None:
            topics = topics.none()
        if query.get("search"):
            topics = _topics_matching(topics, query["search"])
        self.paginator.ordering = (
            CATEGORY_LATEST_CURSOR_ORDERING
            if query["ordering"] == "latest" and category is not None
            else TOPIC_CURSOR_ORDERINGS[query["ordering"]]
        )
        page = self.paginate_queryset(topics)
        data = TopicSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(
        operation_id="topics_create",
        tags=[TAG],
        request=TopicCreateInputSerializer,
        responses={
            201: TopicDetailSerializer,
            **error_responses(400, 401, 403, 429),
        },
        description="Start a topic. It may come back `held` (pre-moderated category, "
        "automatic moderation): only its author and moderators see it until approved. "
        "403 below the category's trust level, in a read-only category or while silenced; "
        "429 past the daily limit of new topics.",
        examples=[
            OpenApiExample(
                "New question",
                request_only=True,
                value={
                    "category": "aurora",
                    "title": "My Aurora kettle whistles when it boils",
                    "body": "It whistles loudly. Is that normal?",
                    "kind": "question",
                    "tags": ["aurora", "noise"],
                },
            ),
            OpenApiExample("Created", response_only=True, value=TOPIC_DETAIL_EXAMPLE),
            OpenApiExample(
                "Invalid",
                response_only=True,
                status_codes=["400"],
                value={"title": ["The title must have between 8 and 200 characters."]},
            ),
        ],
    )
    def post(self, request):
        data = _check(TopicCreateInputSerializer, request.data)
        category = _category_lookup(data["category"])
        if category is None:
            raise exceptions.ValidationError({"category": [_("There is no such category.")]})
        topic = services.topic_create(
            actor=request.user,
            category=category,
            title=data["title"],
            body=data["body"],
            kind=data.get("kind") or None,
            tags=data.get("tags", []),
        )
        body = TopicDetailSerializer(
            _topic_for_response(request.user, topic.pk), context={"request": request}
        ).data
        location = request.build_absolute_uri(reverse("api:topic-detail", args=[topic.pk]))
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


class TopicDetailView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        operation_id="topics_retrieve",
        tags=[TAG],
        responses={200: TopicDetailSerializer, **error_responses(404)},
        description="A topic with its first post. 404 for a topic the caller may not see "
        "(held, hidden, removed or deleted, unless they wrote it or moderate its category).",
        examples=[OpenApiExample("Topic", value=TOPIC_DETAIL_EXAMPLE, response_only=True)],
    )
    def get(self, request, topic_id: int):
        topic = _topic_for_response(request.user, topic_id)
        return Response(TopicDetailSerializer(topic, context={"request": request}).data)

    @extend_schema(
        operation_id="topics_partial_update",
        tags=[TAG],
        request=TopicUpdateInputSerializer,
        responses={200: TopicDetailSerializer, **error_responses(400, 401, 403, 404)},
        description="Change a topic; all or nothing. `title`, `body`, `note` edit the first "
        "post (its author within the edit window, or a moderator of the category). "
        "`locked`, `closed`, `pinned`, `pinned_globally` (global moderators) and `category` "
        "(a move: moderators of both categories) are for moderators.",
        examples=[
            OpenApiExample(
                "Retitle",
                request_only=True,
                value={"title": "Aurora kettle: loud whistle when boiling", "note": "clearer"},
            ),
            OpenApiExample("Moderate", request_only=True, value={"locked": True, "pinned": True}),
            OpenApiExample("Changed", response_only=True, value=TOPIC_DETAIL_EXAMPLE),
        ],
    )
    def patch(self, request, topic_id: int):
        topic = selectors.topic_get_for_user(user=request.user, topic_id=topic_id)
        data = _check(TopicUpdateInputSerializer, request.data)
        actor = request.user
        with transaction.atomic():
            if {"title", "body"} & data.keys():
                first = _first_post(actor, topic)
                services.post_edit(
                    actor=actor,
                    post=first,
                    body=data.get("body", first.body),
                    title=data.get("title"),
                    note=data.get("note", ""),
                )
            switches = {
                "locked": (services.topic_lock, services.topic_unlock),
                "closed": (services.topic_close, services.topic_reopen),
            }
            for field, (on, off) in switches.items():
                if field in data:
                    (on if data[field] else off)(actor=actor, topic=topic)
            if {"pinned", "pinned_globally"} & data.keys():
                _pins_set(actor, topic, data)
            if "category" in data:
                destination = _category_lookup(data["category"])
                if destination is None:
                    raise ValidationError({"category": _("There is no such category.")})
                services.topic_move(actor=actor, topic=topic, category=destination)
        topic = _topic_for_response(actor, topic.pk)
        return Response(TopicDetailSerializer(topic, context={"request": request}).data)

    @extend_schema(
        operation_id="topics_destroy",
        tags=[TAG],
        responses={204: None, **error_responses(401, 403, 404)},
        description="Delete a topic (soft: its first post is deleted): its author or a "
        "moderator of the category.",
        examples=[
            OpenApiExample(
                "Someone else's topic",
                response_only=True,
                status_codes=["403"],
                value={"detail": "You may not delete this post."},
            )
        ],
    )
    def delete(self, request, topic_id: int):
        topic = selectors.topic_get_for_user(user=request.user, topic_id=topic_id)
        services.post_delete(actor=request.user, post=_first_post(request.user, topic))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Posts ----------------------------------------------------------------------------------------


class TopicPostListView(GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = KeysetCursorPagination
    filter_backends: list = []

    @extend_schema(
        operation_id="topics_posts_list",
        tags=[TAG],
        parameters=[
            OpenApiParameter(
                "ordering",
                str,
                enum=list(POST_CURSOR_ORDERINGS),
                description="oldest (by number, default) or best (first post, accepted "
                "answer, then by votes).",
            )
        ],
        responses={200: PostSerializer(many=True), **error_responses(400, 404)},
        description="The posts of a topic the caller may see: visible ones, the caller's own "
        "held/hidden/removed ones, and everything for moderators of the category.",
        examples=[OpenApiExample("Page of posts", value=_page(POST_EXAMPLE), response_only=True)],
    )
    def get(self, request, topic_id: int):
        query = _check(PostListQuerySerializer, request.query_params)
        topic = selectors.topic_get_for_user(user=request.user, topic_id=topic_id)
        posts = selectors.post_list_for_topic(
            user=request.user, topic=topic, ordering=query["ordering"]
        )
        self.paginator.ordering = POST_CURSOR_ORDERINGS[query["ordering"]]
        page = self.paginate_queryset(posts)
        for post in page:
            post.topic = topic
        data = PostSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(
        operation_id="topics_posts_create",
        tags=[TAG],
        request=PostCreateInputSerializer,
        responses={201: PostSerializer, **error_responses(400, 401, 403, 404, 429)},
        description="Reply. The post may come back `held` (awaiting review). 403 on a locked "
        "or closed topic, below the category's trust level to reply or while silenced; 429 "
        "past the daily limit of posts.",
        examples=[
            OpenApiExample(
                "Reply", request_only=True, value={"body": "Descale it.", "reply_to": 811}
            ),
            OpenApiExample("Created", response_only=True, value=POST_EXAMPLE),
            OpenApiExample(
                "Daily limit",
                response_only=True,
                status_codes=["429"],
                value={
                    "detail": "You have reached your limit of 20 posts per day. You can post "
                    "again in 3 hours.",
                    "retry_after": 10512,
                },
            ),
        ],
    )
    def post(self, request, topic_id: int):
        topic = selectors.topic_get_for_user(user=request.user, topic_id=topic_id)
        data = _check(PostCreateInputSerializer, request.data)
        reply_to = None
        if data.get("reply_to") is not None:
            try:
                reply_to = selectors.post_get_for_user(user=request.user, post_id=data["reply_to"])
            except Http404:
                raise exceptions.ValidationError(
                    {"reply_to": [_("You can only reply to a post of this topic.")]}
                ) from None
        post = services.post_create(
            actor=request.user, topic=topic, body=data["body"], reply_to=reply_to
        )
        body = PostSerializer(
            _post_for_response(request.user, post), context={"request": request}
        ).data
        return Response(body, status=status.HTTP_201_CREATED)


class PostDetailView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        operation_id="posts_retrieve",
        tags=[TAG],
        responses={200: PostSerializer, **error_responses(404)},
        description="A post the caller may see (404 otherwise).",
        examples=[OpenApiExample("Post", value=POST_EXAMPLE, response_only=True)],
    )
    def get(self, request, post_id: int):
        post = selectors.post_get_for_user(user=request.user, post_id=post_id)
        data = PostSerializer(_post_for_response(request.user, post), context={"request": request})
        return Response(data.data)

    @extend_schema(
        operation_id="posts_partial_update",
        tags=[TAG],
        request=PostUpdateInputSerializer,
        responses={200: PostSerializer, **error_responses(400, 401, 403, 404)},
        description="Edit a post's text: its author within the edit window (not on a locked "
        "topic), or a moderator of the category. The previous text goes to the revisions.",
        examples=[
            OpenApiExample(
                "Edit",
                request_only=True,
                value={"body": "Descale it with citric acid.", "note": "typo"},
            ),
            OpenApiExample("Edited", response_only=True, value=POST_EXAMPLE),
        ],
    )
    def patch(self, request, post_id: int):
        post = selectors.post_get_for_user(user=request.user, post_id=post_id)
        data = _check(PostUpdateInputSerializer, request.data)
        services.post_edit(
            actor=request.user, post=post, body=data["body"], note=data.get("note", "")
        )
        data = PostSerializer(_post_for_response(request.user, post), context={"request": request})
        return Response(data.data)

    @extend_schema(
        operation_id="posts_destroy",
        tags=[TAG],
        responses={204: None, **error_responses(400, 401, 403, 404)},
        description="Delete a post (soft): its author or a moderator of the category. "
        "Deleting the first post deletes the topic.",
        examples=[
            OpenApiExample(
                "Someone else's post",
                response_only=True,
                status_codes=["403"],
                value={"detail": "You may not delete this post."},
            )
        ],
    )
    def delete(self, request, post_id: int):
        post = selectors.post_get_for_user(user=request.user, post_id=post_id)
        services.post_delete(actor=request.user, post=post)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostRevisionListView(APIView):
    @extend_schema(
        operation_id="posts_revisions_list",
        tags=[TAG],
        responses={200: RevisionListSerializer, **error_responses(404)},
        description="The edit history of a post, oldest edit first, each as the difference "
        "it made (`chunks`: equal/insert/delete). One page: `next` and `previous` are null.",
        examples=[
            OpenApiExample(
                "History",
                response_only=True,
                value={
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "number": 1,
                            "edited_at": "2026-11-20T09:30:00Z",
                            "edited_by_name": "alice",
                            "note": "typo",
                            "old_title": "",
                            "new_title": "",
                            "title_changed": False,
                            "chunks": [
                                {"op": "equal", "text": "Descale it with "},
                                {"op": "delete", "text": "citrik"},
                                {"op": "insert", "text": "citric"},
                                {"op": "equal", "text": " acid."},
                            ],
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request, post_id: int):
        post = selectors.post_get_for_user(user=request.user, post_id=post_id)
        revisions = selectors.post_revisions(user=request.user, post=post)
        data = RevisionSerializer(revisions, many=True).data
        return Response(page_body(*data))


class PostVoteView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="posts_vote",
        tags=[TAG],
        request=VoteInputSerializer,
        responses={200: VoteResultSerializer, **error_responses(400, 401, 403, 404, 429)},
        description="Vote up (1), down (-1) or withdraw (0). Not on one's own post; "
        "withdrawing stays possible while silenced. 429 past the daily limit of votes.",
        examples=[
            OpenApiExample("Up", request_only=True, value={"value": 1}),
            OpenApiExample(
                "Result",
                response_only=True,
                value={"score": 5, "my_vote": 1, "upvotes": 5, "downvotes": 0},
            ),
        ],
    )
    def post(self, request, post_id: int):
        post = selectors.post_get_for_user(user=request.user, post_id=post_id)
        data = _check(VoteInputSerializer, request.data)
        voted = services.vote_cast(actor=request.user, post=post, value=int(data["value"]))
        return Response(VoteResultSerializer(voted).data)


# --- Search ---------------------------------------------------------------------------------------

_SEARCH_SALT = "community.api.search"


class SearchView(GenericAPIView):
    """Search results are ranked (PostgreSQL) rather than ordered by a column, so their cursor
    holds an offset (signed): a new post may shift a page by one row, unlike the lists."""

    pagination_class = KeysetCursorPagination  # its page_size rules and schema parameters
    filter_backends: list = []

    @extend_schema(
        operation_id="search",
        tags=[TAG],
        parameters=[
            OpenApiParameter("q", str, required=True, description="Words; quotes, or, -word."),
            OpenApiParameter("category", str, description="A category's slug or id."),
            OpenApiParameter("tag", str, description="A tag's slug."),
            OpenApiParameter("kind", str, enum=TopicKind.values),
            OpenApiParameter("author", str, description="The author's username."),
        ],
        responses={200: SearchHitSerializer(many=True), **error_responses(400)},
        description="Full-text search over visible posts (community.search): PostgreSQL ranks "
        "by relevance in English and French; the embedded SQLite default matches every word, "
        "newest first.",
        examples=[
            OpenApiExample(
                "Results",
                response_only=True,
                value={
                    "next": "https://community.example/api/v1/search/?q=descale&cursor=eyJvIjoyMH0",
                    "previous": None,
                    "results": [
                        {
                            "post": 812,
                            "number": 2,
                            "url": "/p/812/",
                            "topic": {
                                "id": 145,
                                "title": "My Aurora kettle whistles when it boils",
                                "url": "/t/145-my-aurora-kettle-whistles-when-it-boils/",
                                "category": CATEGORY_REF_EXAMPLE,
                            },
                            "author_name": "alice",
                            "created_at": "2026-11-20T09:12:44Z",
                            "snippet_html": "<mark>Descale</mark> it with citric acid.",
                            "rank": 0.6079271,
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request):
        query = _check(SearchQuerySerializer, request.query_params)
        text = search.normalise_query(query["q"])
        if not text:
            raise exceptions.ValidationError({"q": [_("Type a few words to search.")]})
        offset = self._offset(request)
        limit = self.paginator.get_page_size(request)
        category = None
        if query.get("category"):
            category = _category_lookup(query["category"])
            if category is None:
                return Response({"next": None, "previous": None, "results": []})
        results = search.search_posts(
            user=request.user,
            query=text,
            category=category,
            tag=query.get("tag") or None,
            kind=query.get("kind") or None,
            author=query.get("author") or None,
            limit=limit,
            offset=offset,
        )
        url = request.build_absolute_uri()
        next_url = previous_url = None
        if results.has_more:
            next_url = self._link(url, results.offset + results.limit)
        if results.offset > 0:
            previous_url = self._link(url, max(results.offset - results.limit, 0))
        data = SearchHitSerializer(results.hits, many=True).data
        return Response({"next": next_url, "previous": previous_url, "results": data})

    @staticmethod
    def _offset(request) -> int:
        cursor = request.query_params.get("cursor")
        if not cursor:
            return 0
        try:
            return int(signing.loads(cursor, salt=_SEARCH_SALT)["o"])
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            # As config.api.pagination answers a cursor that does not fit.
            raise exceptions.ValidationError({"cursor": [_("Invalid cursor")]}) from None

    @staticmethod
    def _link(url: str, offset: int) -> str:
        return replace_query_param(url, "cursor", signing.dumps({"o": offset}, salt=_SEARCH_SALT))


urlpatterns = [
    path("categories/", CategoryListView.as_view(), name="category-list"),
    path("topics/", TopicListView.as_view(), name="topic-list"),
    path("topics/<int:topic_id>/", TopicDetailView.as_view(), name="topic-detail"),
    path("topics/<int:topic_id>/posts/", TopicPostListView.as_view(), name="topic-post-list"),
    path("posts/<int:post_id>/", PostDetailView.as_view(), name="post-detail"),
    path("posts/<int:post_id>/revisions/", PostRevisionListView.as_view(), name="post-revisions"),
    path("posts/<int:post_id>/vote/", PostVoteView.as_view(), name="post-vote"),
    path("search/", SearchView.as_view(), name="search"),
]
