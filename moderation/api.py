"""API v1 for moderation (mounted by config/api/urls.py): members flag; moderators read the
review queue, claim, release and decide items, and read the moderation log of their scope.

Thin: parse with ``moderation.serializers``, read through the selectors (a 404 for what the
caller may not see, a 403 for anybody who may not moderate), write through
``moderation.services`` — the same rules as the web pages. A claim held by another moderator
and an item already decided are state conflicts (409); the daily flag limit is a 429."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, status
from rest_framework import serializers as drf_serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from community import selectors as community_selectors
from community.models import Category
from config.api.exceptions import Conflict, rate_limited_response
from config.api.pagination import cursor_pagination, keyset_pagination, page_body
from config.api.schema import error_responses
from moderation import selectors, services
from moderation.models import CommunityRule, RemovalReason, ReviewItem
from moderation.serializers import (
    MAX_ID,
    AuditEntrySerializer,
    AuditFilterSerializer,
    DecideInputSerializer,
    FlagInputSerializer,
    FlagSerializer,
    QueueFilterSerializer,
    QueueItemSerializer,
)

TAGS = ["moderation"]


# --- Flags ------------------------------------------------------------------------------------


class FlagCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="flags_create",
        tags=TAGS,
        request=FlagInputSerializer,
        responses={201: FlagSerializer, **error_responses(400, 401, 403, 404, 409, 429)},
        examples=[
            OpenApiExample(
                "Flag a post",
                value={"target_type": "post", "target_id": 42, "reason": "spam", "note": ""},
                request_only=True,
            ),
            OpenApiExample(
                "Flag a profile by username",
                value={
                    "target_type": "user",
                    "target_id": "spammer42",
                    "reason": "other",
                    "note": "Posts links to a shop in every reply.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Flag received",
                value={
                    "id": 7,
                    "target_type": "post",
                    "target_id": 42,
                    "reason": "spam",
                    "note": "",
                    "status": "pending",
                    "created_at": "2026-11-22T09:30:00Z",
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
        description="Flag a post, a topic (its first post) or a member's profile, once per "
        "member (a second flag is a 409). Content the caller may not see is a 404; their own "
        "content, a trust level under the flagging level or a sanction is a 403; the daily "
        "flag limit is a 429 with `Retry-After`. Reason `other` needs a `note`; "
        "`official_answer` goes to the brand's staff queue instead of the moderators.",
    )
    def post(self, request):
        data = FlagInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = _flag_target(
            request.user, data.validated_data["target_type"], data.validated_data["target_id"]
        )
        try:
            flag = services.flag_create(
                actor=request.user,
                reason=data.validated_data["reason"],
                note=data.validated_data["note"],
                **target,
            )
        except services.FlagLimitReached as exc:
            return rate_limited_response(" ".join(exc.messages), _seconds_to_midnight())
        return Response(FlagSerializer(flag).data, status=status.HTTP_201_CREATED)


def _flag_target(user, target_type: str, target_id: int | str) -> dict:
    """The flagged object, through the selectors that hide what ``user`` may not see."""
    if target_type == "post":
        return {"post": community_selectors.post_get_for_user(user=user, post_id=target_id)}
    if target_type == "topic":
        return {"topic": community_selectors.topic_get_for_user(user=user, topic_id=target_id)}
    if isinstance(target_id, int):
        return {"member": get_object_or_404(User, pk=target_id, is_active=True)}
    return {"member": get_object_or_404(User, username__iexact=target_id, is_active=True)}


def _seconds_to_midnight() -> int:
    now = timezone.localtime()
    tomorrow = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), now.tzinfo)
    return max(1, int((tomorrow - now).total_seconds()))


ITEM_EXAMPLE = {
    "id": 12,
    "target_type": "post",
    "target_id": 42,
    "topic_id": 9,
    "category_id": 3,
    "kind": "flagged",
    "status": "pending",
    "score": 2.5,
    "flag_count": 2,
    "reasons": ["spam"],
    "claimed_by": "alice",
    "author": "bob",
    "pending_since": "2026-11-22T08:00:00Z",
    "resolution": "",
}

AUDIT_EXAMPLE = {
    "id": 311,
    "created_at": "2026-11-22T09:41:00Z",
    "actor_name": "alice",
    "actor_role": "moderator",
    "action": "item.remove",
    "item_id": 12,
    "post_id": 42,
    "topic_id": 9,
    "category_id": 3,
    "subject_id": 17,
    "subject_name": "bob",
    "target_repr": "post 42",
    "reason": "Advertising is not allowed (rule 3).",
    "rule_number": 3,
    "rule_title": "No advertising",
    "before": {"state": "visible"},
    "after": {"state": "removed", "flaggers": 2},
    "public": True,
}


# --- The review queue -------------------------------------------------------------------------


class QueueListView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = QueueItemSerializer
    pagination_class = keyset_pagination(*selectors.QUEUE_ORDERING)
    filter_backends: list = []

    def get_queryset(self):
        filters = QueueFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.review_queue_items(
            user=self.request.user, filters=filters.selector_filters()
        )

    @extend_schema(
        operation_id="mod_queue_list",
        tags=TAGS,
        parameters=[QueueFilterSerializer],
        responses={200: QueueItemSerializer(many=True), **error_responses(400, 401, 403)},
        examples=[
            OpenApiExample(
                "A page of the queue",
                value=page_body(
                    {**ITEM_EXAMPLE, "reasons": ["spam", "off_topic"], "claimed_by": None},
                    next_url="https://example.org/api/v1/mod/queue/?cursor=cD1bMi41…",
                ),
                response_only=True,
            )
        ],
        description="The review queue, highest score first then the longest waiting; the "
        "same filters as the web queue. Global moderators see every item, category "
        "moderators the items of their categories; anybody else gets a 403. The cursor "
        "carries the whole ranking (score, waiting since, id): an item whose score changes "
        "between two pages may move across them — it is a live queue.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _item_for(user, item_id: int) -> ReviewItem:
    """An item of ``user``'s scope (403 for non-moderators, 404 outside the scope)."""
    if item_id > MAX_ID:
        selectors.review_queue_items(user=user)  # still a 403 for non-moderators
        raise Http404("No such review item")
    item = (
        selectors.review_queue_items(user=user, filters={"status": "all"})
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise Http404("No such review item")
    return item


def _item_response(user, item_id: int) -> Response:
    """The item as the queue shows it after a claim, a release or a decision."""
    return Response(QueueItemSerializer(_item_for(user, item_id)).data)


class ItemClaimView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="mod_queue_claim",
        tags=TAGS,
        request=None,
        responses={200: QueueItemSerializer, **error_responses(401, 403, 404, 409)},
        examples=[OpenApiExample("Claimed", value=ITEM_EXAMPLE, response_only=True)],
        description="Claim a pending item so that no other moderator works on it meanwhile "
        "(the claim lapses after `MODERATION_CLAIM_MINUTES`). Claiming one's own claim again "
        "renews nothing and succeeds; an item claimed by another moderator or already "
        "decided is a 409.",
    )
    def post(self, request, item_id: int):
        item = _item_for(request.user, item_id)
        try:
            services.item_claim(actor=request.user, item=item)
        except services.ItemClaimed as exc:
            raise Conflict(str(exc)) from exc
        return _item_response(request.user, item_id)


class ItemReleaseView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="mod_queue_release",
        tags=TAGS,
        request=None,
        responses={200: QueueItemSerializer, **error_responses(401, 403, 404)},
        examples=[
            OpenApiExample(
                "Released", value={**ITEM_EXAMPLE, "claimed_by": None}, response_only=True
            )
        ],
        description="Give a claimed item back to the queue, as the web's release button: the "
        "moderator who claimed it, or a global moderator, may release it (anybody else gets "
        "a 403). An item nobody claims is answered as it is.",
    )
    def post(self, request, item_id: int):
        item = _item_for(request.user, item_id)
        services.item_release(actor=request.user, item=item)
        return _item_response(request.user, item_id)


class ItemDecideView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="mod_queue_decide",
        tags=TAGS,
        request=DecideInputSerializer,
        responses={200: QueueItemSerializer, **error_responses(400, 401, 403, 404, 409)},
        examples=[
            OpenApiExample(
                "Remove with a reason",
                value={"action": "remove", "reason": "Advertising is not allowed (rule 3)."},
                request_only=True,
            ),
            OpenApiExample(
                "Silence the author for a week",
                value={"action": "silence", "reason": "Repeated insults.", "days": 7},
                request_only=True,
            ),
            OpenApiExample(
                "Decided",
                value={
                    **ITEM_EXAMPLE,
                    "status": "resolved",
                    "claimed_by": None,
                    "flag_count": 0,
                    "reasons": [],
                    "resolution": "remove",
                },
                response_only=True,
            ),
        ],
        description="Decide a pending item: keep, hide, remove, edit (`body`), lock, move "
        "(`category`), warn (`warning_level`), probation / silence / suspend (`days` or "
        "`permanent`), ignore. Remove, warn and sanctions need a `reason` (the member reads "
        "it) or a `removal_reason`. Category moderators may not sanction (403). An item "
        "already decided, or claimed by another moderator, is a 409.",
    )
    def post(self, request, item_id: int):
        item = _item_for(request.user, item_id)
        data = DecideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            services.item_decide(
                actor=request.user,
                item=item,
                action=values["action"],
                reason=values["reason"],
                rule=_referenced(CommunityRule, values["rule"], "rule", active=True),
                removal_reason=_referenced(
                    RemovalReason, values["removal_reason"], "removal_reason", active=True
                ),
                days=values["days"],
                permanent=values["permanent"],
                warning_level=values["warning_level"],
                body=values["body"] or None,
                note=values["note"],
                category=_referenced(Category, values["category"], "category"),
            )
        except services.ItemClaimed as exc:
            raise Conflict(str(exc)) from exc
        return _item_response(request.user, item_id)


def _referenced(model, pk: int | None, field: str, **conditions):
    if pk is None:
        return None
    found = model.objects.filter(pk=pk, **conditions).first()
    if found is None:
        raise drf_serializers.ValidationError({field: [_("There is no such choice.")]})
    return found


# --- The audit log ----------------------------------------------------------------------------


class AuditLogView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = AuditEntrySerializer
    pagination_class = cursor_pagination("-id")
    filter_backends: list = []

    def get_queryset(self):
        filters = AuditFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.moderation_log(
            user=self.request.user, filters=dict(filters.validated_data)
        )

    @extend_schema(
        operation_id="mod_log_list",
        tags=TAGS,
        parameters=[AuditFilterSerializer],
        responses={200: AuditEntrySerializer(many=True), **error_responses(400, 401, 403)},
        examples=[
            OpenApiExample(
                "A page of the log",
                value=page_body(AUDIT_EXAMPLE),
                response_only=True,
            )
        ],
        description="The moderation log, newest first: every flag, claim, decision, "
        "sanction, appeal and list change, with who, what, before and after, in the "
        "caller's scope, as the review queue is scoped: administrators read everything (the "
        "web's /mod/audit/), global moderators everything but the administrators' own "
        "settings (coverage hours), category moderators the entries of their categories "
        "(not those about a member alone, such as sanctions). Members get a 403.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


urlpatterns = [
    path("flags/", FlagCreateView.as_view(), name="flag-create"),
    path("mod/queue/", QueueListView.as_view(), name="mod-queue"),
    path("mod/queue/<int:item_id>/claim/", ItemClaimView.as_view(), name="mod-queue-claim"),
    path("mod/queue/<int:item_id>/release/", ItemReleaseView.as_view(), name="mod-queue-release"),
    path("mod/queue/<int:item_id>/decide/", ItemDecideView.as_view(), name="mod-queue-decide"),
    path("mod/log/", AuditLogView.as_view(), name="mod-log"),
]
