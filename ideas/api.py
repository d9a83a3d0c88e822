"""API v1 for ideas (mounted by config/api/urls.py): the board, supports, the brand's
statuses and the roadmap.

Thin: parse with ``ideas.serializers``, read through ``ideas.selectors`` (a 404 for an idea
the caller may not see), write through ``ideas.services`` — the same rules as the web pages.

The board's rankings are paginated by keyset cursors over the whole ranking tuple
(``config.api.pagination.KeysetCursorPagination``): ``top`` over (supports, proposed, id),
``trending`` over (recent supports, supports, proposed, id), ``new`` over (proposed, id).
Supports are denormalised columns, so a page costs one indexed query whatever its depth; an
idea whose supports change between two pages may move across them (a live ranking), while
``new`` is fully stable."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from community import selectors as community_selectors
from config.api.pagination import keyset_pagination, page_body
from config.api.schema import error_responses
from ideas import permissions, selectors, services
from ideas.network import network_of
from ideas.serializers import (
    MAX_ID,
    IdeaDetailSerializer,
    IdeaFilterSerializer,
    IdeaSerializer,
    IdeaVoteInputSerializer,
    IdeaVoteResultSerializer,
    RoadmapColumnSerializer,
    RoadmapFilterSerializer,
    StatusInputSerializer,
)

TAGS = ["ideas"]
ORDERINGS = {
    "trending": ("-recent_votes", "-vote_count", "-created_at", "-pk"),
    "top": ("-vote_count", "-created_at", "-pk"),
    "new": ("-created_at", "-pk"),
    "updated": ("-updated_at", "-pk"),
}


def _idea_for(user, idea_id: int):
    """The idea if ``user`` may see it, else 404 (an id beyond any key too: the database
    would refuse to compare it)."""
    if idea_id > MAX_ID:
        raise Http404("No such idea")
    return selectors.idea_get_for_user(user=user, idea_id=idea_id)


IDEA_EXAMPLE = {
    "id": 42,
    "title": "A keep-warm mode for the Aurora kettle",
    "url": "/ideas/42/",
    "category": "aurora",
    "tags": ["kettle"],
    "author": "alice",
    "status": "planned",
    "vote_count": 17,
    "my_vote": 1,
    "created_at": "2026-10-02T08:15:00Z",
    "status_changed_at": "2026-11-20T14:00:00Z",
    "challenge": None,
    "merged_into": None,
}


class IdeaListView(generics.ListAPIView):
    serializer_class = IdeaSerializer
    pagination_class = keyset_pagination(*ORDERINGS["trending"])
    filter_backends: list = []

    def get_queryset(self):
        params = IdeaFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        self.ordering = params.validated_data["ordering"]
        return selectors.idea_board(
            user=self.request.user,
            ordering=self.ordering,
            filters=params.selector_filters() or None,
        )

    @property
    def paginator(self):
        """The ranking asked for decides the cursor's fields (``get_queryset`` runs first)."""
        if not hasattr(self, "_paginator"):
            ordering = getattr(self, "ordering", "trending")
            self._paginator = keyset_pagination(*ORDERINGS[ordering])()
        return self._paginator

    @extend_schema(
        operation_id="ideas_list",
        tags=TAGS,
        parameters=[IdeaFilterSerializer],
        responses={200: IdeaSerializer(many=True), **error_responses(400)},
        examples=[
            OpenApiExample(
                "The most supported planned ideas",
                value=page_body(IDEA_EXAMPLE),
                response_only=True,
            )
        ],
        description="Visible ideas, as on the board (/ideas/): filters `status`, `category` "
        "(a slug, subcategories included), `tag`, `q`, `challenge`; `ordering` "
        "trending (default), top, new or updated. Merged duplicates are left out unless "
        "`status=duplicate`. Keyset cursors over the ranking: an idea whose supports change "
        "between two pages may move across them; `new` is fully stable.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class IdeaVoteView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="ideas_vote",
        tags=TAGS,
        request=IdeaVoteInputSerializer,
        responses={200: IdeaVoteResultSerializer, **error_responses(400, 401, 403, 404, 429)},
        examples=[
            OpenApiExample("Support", value={"value": 1}, request_only=True),
            OpenApiExample("Withdraw", value={"value": 0}, request_only=True),
            OpenApiExample(
                "Supported", value={"id": 42, "vote_count": 18, "my_vote": 1}, response_only=True
            ),
        ],
        description="Support an idea (1) or withdraw one's support (0); repeating changes "
        "nothing. Refused (403) on one's own idea, closed or merged ideas, under the voting "
        "trust level, and for challenge entries outside the vote; a spent vote budget is a "
        "400 on `value`; the daily limit a 429 with `Retry-After`.",
    )
    def post(self, request, idea_id: int):
        idea = _idea_for(request.user, idea_id)
        data = IdeaVoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        voted = services.idea_vote_cast(
            actor=request.user,
            idea=idea,
            value=data.validated_data["value"],
            ip_network=network_of(request.META.get("REMOTE_ADDR")),
        )
        return Response(
            IdeaVoteResultSerializer(
                {"id": voted.pk, "vote_count": voted.vote_count, "my_vote": voted.my_vote}
            ).data
        )


class IdeaStatusView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="ideas_status_set",
        tags=TAGS,
        request=StatusInputSerializer,
        responses={200: IdeaDetailSerializer, **error_responses(400, 401, 403, 404)},
        examples=[
            OpenApiExample(
                "Plan it",
                value={
                    "status": "planned",
                    "response": "We are building it for the spring firmware.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Planned",
                value={
                    **IDEA_EXAMPLE,
                    "official_response": "We are building it for the spring firmware.",
                    "official_response_html": "<p>We are building it for the spring firmware.</p>",
                    "responded_by": "brand_anna",
                    "responded_at": "2026-11-20T14:00:00Z",
                    "release_note": "",
                },
                response_only=True,
            ),
        ],
        description="Brand staff set an idea's status with an official response (required), "
        "recorded in its history and sent to its followers; `release_note` goes with "
        "`shipped`. Anybody else gets a 403. A merged idea's status is final (400).",
    )
    def post(self, request, idea_id: int):
        idea = _idea_for(request.user, idea_id)
        if not permissions.can_set_idea_status(request.user, idea):
            raise PermissionDenied(
                _("Only the brand's staff may change an idea's status or respond officially.")
            )
        data = StatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.idea_status_set(actor=request.user, idea=idea, **data.validated_data)
        idea = selectors.idea_get_for_user(user=request.user, idea_id=idea_id)
        return Response(IdeaDetailSerializer(idea).data)


class RoadmapView(APIView):
    @extend_schema(
        operation_id="roadmap_retrieve",
        tags=TAGS,
        parameters=[RoadmapFilterSerializer],
        responses={200: RoadmapColumnSerializer(many=True), **error_responses(400, 404)},
        examples=[
            OpenApiExample(
                "The roadmap",
                value=[
                    {
                        "status": "planned",
                        "label": "Planned",
                        "ideas": [
                            {
                                "id": 42,
                                "title": "A keep-warm mode for the Aurora kettle",
                                "url": "/ideas/42/",
                                "category": "aurora",
                                "status": "planned",
                                "vote_count": 17,
                                "shipped_at": None,
                            }
                        ],
                    },
                    {"status": "in_progress", "label": "In progress", "ideas": []},
                    {"status": "shipped", "label": "Shipped", "ideas": []},
                ],
                response_only=True,
            )
        ],
        description="The roadmap's three columns, as on /roadmap/: planned and in progress "
        "(most supported first, `IDEAS_ROADMAP_COLUMN_LIMIT` each) and recently shipped. "
        "Not paginated: each column is bounded. Visitors do not see the ideas of "
        "members-only roadmaps. An unknown `category` is a 404.",
    )
    def get(self, request):
        params = RoadmapFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        slug = params.validated_data.get("category")
        category = community_selectors.category_get(slug=slug) if slug else None
        columns = selectors.roadmap(user=request.user, category=category)
        return Response(RoadmapColumnSerializer(columns, many=True).data)


urlpatterns = [
    path("ideas/", IdeaListView.as_view(), name="idea-list"),
    path("ideas/<int:idea_id>/vote/", IdeaVoteView.as_view(), name="idea-vote"),
    path("ideas/<int:idea_id>/status/", IdeaStatusView.as_view(), name="idea-status"),
    path("roadmap/", RoadmapView.as_view(), name="roadmap"),
]
