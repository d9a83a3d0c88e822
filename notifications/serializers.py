"""DRF shapes of the notifications API (see notifications/api.py). Output reads only the row
itself (``data`` holds the facts a line shows), so a page costs one query whatever its size."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from notifications import texts
from notifications.models import Notification, NotificationKind

MAX_IDS = 500


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    text = serializers.SerializerMethodField(
        help_text=_("What happened, in the caller's language.")
    )
    actor_name = serializers.CharField(help_text=_("Who did it (a snapshot of the name)."))
    topic = serializers.IntegerField(source="topic_id", allow_null=True)
    post = serializers.IntegerField(source="post_id", allow_null=True)
    title = serializers.SerializerMethodField()
    excerpt = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text=_("The page it is about, on the site."))
    is_read = serializers.BooleanField()
    read_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_text(self, notification: Notification) -> str:
        return texts.describe(notification)

    def get_title(self, notification: Notification) -> str:
        return str((notification.data or {}).get("title") or "")

    def get_excerpt(self, notification: Notification) -> str:
        return str((notification.data or {}).get("excerpt") or "")

    def get_url(self, notification: Notification) -> str:
        # As the web's "open" view goes, without loading the post or the topic.
        url = str((notification.data or {}).get("url") or "")
        if url.startswith("/") and not url.startswith("//"):
            return url
        if notification.post_id:
            return reverse("community:post_permalink", kwargs={"post_id": notification.post_id})
        if notification.topic_id:
            return reverse("community:topic_short", kwargs={"topic_id": notification.topic_id})
        return reverse("notifications:list")


class NotificationListQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text=_("true: unread ones only.")
    )


class MarkReadInputSerializer(serializers.Serializer):
    """Either ``ids`` (the caller's notifications to mark read; others' are ignored) or
    ``"all": true``."""

    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_empty=False,
        max_length=MAX_IDS,
    )
    all = serializers.BooleanField(required=False)

    def validate(self, attrs):
        has_ids = bool(attrs.get("ids"))
        has_all = attrs.get("all") is True
        if has_ids == has_all:
            raise serializers.ValidationError(
                _('Send either "ids" (a list of notification ids) or "all": true.')
            )
        return attrs


class MarkReadResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text=_("How many changed from unread to read."))
    unread_count = serializers.IntegerField(help_text=_("The caller's unread ones left."))
