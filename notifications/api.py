"""API v1 for notifications: the caller's notifications and marking them read (mounted under
/api/v1/ by config/api/urls.py). Thin: a selector to read, a service to write."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from community.serializers import error_responses
from config.api.pagination import KeysetCursorPagination, page_body
from notifications import selectors, services
from notifications.serializers import (
    MarkReadInputSerializer,
    MarkReadResultSerializer,
    NotificationListQuerySerializer,
    NotificationSerializer,
)

TAG = "notifications"

NOTIFICATION_EXAMPLE = {
    "id": 9051,
    "kind": "reply",
    "text": "alice replied to you in “My Aurora kettle whistles when it boils”",
    "actor_name": "alice",
    "topic": 145,
    "post": 812,
    "title": "My Aurora kettle whistles when it boils",
    "excerpt": "Descale it with citric acid.",
    "url": "/p/812/",
    "is_read": False,
    "read_at": None,
    "created_at": "2026-11-20T09:12:45Z",
}


class NotificationListView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    pagination_class = KeysetCursorPagination
    filter_backends: list = []

    @extend_schema(
        operation_id="notifications_list",
        tags=[TAG],
        parameters=[
            OpenApiParameter("unread", bool, description="true: unread only; false: read only.")
        ],
        responses={200: NotificationSerializer(many=True), **error_responses(400, 401)},
        description="The caller's notifications, newest first, one per event (the web page "
        "groups them; `text` and `url` say the same as the page).",
        examples=[
            OpenApiExample(
                "Page",
                response_only=True,
                value=page_body(
                    NOTIFICATION_EXAMPLE,
                    next_url="https://community.example/api/v1/notifications/?cursor=WyIyMDI2Il0",
                ),
            )
        ],
    )
    def get(self, request):
        query = NotificationListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        notifications = selectors.notification_list(
            user=request.user, unread=query.validated_data["unread"]
        )
        self.paginator.ordering = ("-created_at", "-pk")
        page = self.paginate_queryset(notifications)
        return self.get_paginated_response(NotificationSerializer(page, many=True).data)


class NotificationReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="notifications_read",
        tags=[TAG],
        request=MarkReadInputSerializer,
        responses={200: MarkReadResultSerializer, **error_responses(400, 401)},
        description='Mark notifications read: `{"ids": [...]}` (exactly these; ids that are '
        'not the caller\'s are ignored) or `{"all": true}`.',
        examples=[
            OpenApiExample("Some", request_only=True, value={"ids": [9051, 9050]}),
            OpenApiExample("All", request_only=True, value={"all": True}),
            OpenApiExample("Result", response_only=True, value={"marked": 2, "unread_count": 3}),
            OpenApiExample(
                "Neither",
                response_only=True,
                status_codes=["400"],
                value={
                    "non_field_errors": [
                        'Send either "ids" (a list of notification ids) or "all": true.'
                    ]
                },
            ),
        ],
    )
    def post(self, request):
        data = MarkReadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data.get("all"):
            marked = services.notifications_mark_all_read(actor=request.user)
        else:
            marked = services.notifications_mark_read(
                actor=request.user, ids=data.validated_data["ids"]
            )
        unread = selectors.unread_count(user=request.user)
        return Response({"marked": marked, "unread_count": unread})


urlpatterns = [
    path("notifications/", NotificationListView.as_view(), name="notification-list"),
    path("notifications/read/", NotificationReadView.as_view(), name="notification-read"),
]
