"""DRF input and output shapes of the moderation API (``moderation/api.py``). Thin: input
serializers check shape (present, type, length, choice) and never write; the rules are
``moderation.services``'."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from moderation.conf import moderation_settings as conf
from moderation.models import (
    Action,
    AuditEntry,
    Flag,
    FlagReason,
    ItemKind,
    ItemStatus,
    MemberWarning,
)

TARGET_TYPES = (("post", "post"), ("topic", "topic"), ("user", "user"))
QUEUE_STATUSES = (
    ("pending", _("Pending")),
    ("resolved", _("Resolved")),
    ("ignored", _("Deferred")),
    ("all", _("All")),
)
MAX_ID = 2**63 - 1


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            {"type": "string", "minLength": 1, "maxLength": 150},
        ]
    }
)
class TargetIdField(serializers.Field):
    """A numeric id; for a user, the numeric id (a JSON number) or the username (a string)."""

    default_error_messages = {"invalid": _("Give an id (a number) or, for a user, a username.")}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        if isinstance(data, int):
            if not 1 <= data <= MAX_ID:
                self.fail("invalid")
            return data
        data = data.strip()
        if not data or len(data) > 150:
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class FlagInputSerializer(serializers.Serializer):
    target_type = serializers.ChoiceField(choices=TARGET_TYPES)
    target_id = TargetIdField(
        help_text="The post's or topic's id; for a user, their id (a number) or username."
    )
    reason = serializers.ChoiceField(choices=FlagReason.choices)
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=1000,
        help_text="Required for reason `other`.",
    )

    def validate(self, attrs):
        target_id = attrs["target_id"]
        if attrs["target_type"] != "user" and not isinstance(target_id, int):
            if not (isinstance(target_id, str) and target_id.isdigit() and len(target_id) < 19):
                raise serializers.ValidationError(
                    {"target_id": [_("A post or a topic is given by its numeric id.")]}
                )
            attrs["target_id"] = int(target_id)
        return attrs


class FlagSerializer(serializers.ModelSerializer):
    """A flag as its flagger sees it: what, why, and where it stands."""

    target_type = serializers.SerializerMethodField()
    target_id = serializers.SerializerMethodField()

    class Meta:
        model = Flag
        fields = ["id", "target_type", "target_id", "reason", "note", "status", "created_at"]

    def get_target_type(self, flag: Flag) -> str:
        if flag.member_id is not None:
            return "user"
        return "topic" if flag.on_topic else "post"

    def get_target_id(self, flag: Flag) -> int:
        if flag.member_id is not None:
            return flag.member_id
        return flag.post.topic_id if flag.on_topic else flag.post_id


class QueueFilterSerializer(serializers.Serializer):
    """The web queue's filters (``moderation.forms.QueueFilterForm``), as query parameters."""

    reason = serializers.ChoiceField(choices=FlagReason.choices, required=False)
    category = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="A category id."
    )
    status = serializers.ChoiceField(choices=QUEUE_STATUSES, required=False, default="pending")
    kind = serializers.ChoiceField(choices=ItemKind.choices, required=False)
    older_than_hours = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=24 * 3650,
        help_text="Items waiting at least this many hours (the web offers 24, 48, 168).",
    )
    mine = serializers.BooleanField(
        required=False, default=False, help_text="Only the items I claimed."
    )

    def selector_filters(self) -> dict:
        data = self.validated_data
        return {
            "reason": data.get("reason"),
            "category_id": data.get("category"),
            "status": data.get("status") or "pending",
            "kind": data.get("kind"),
            "older_than_hours": data.get("older_than_hours"),
            "claimed_by_me": bool(data.get("mine")),
        }


class QueueItemSerializer(serializers.Serializer):
    """A review item as the queue lists it. ``reasons`` are the pending flags' reasons (most
    weighty flag first), ``claimed_by`` the moderator holding a claim that has not lapsed."""

    id = serializers.IntegerField()
    target_type = serializers.SerializerMethodField()
    target_id = serializers.SerializerMethodField()
    topic_id = serializers.IntegerField(allow_null=True)
    category_id = serializers.IntegerField(allow_null=True)
    kind = serializers.ChoiceField(choices=ItemKind.choices)
    status = serializers.ChoiceField(choices=ItemStatus.choices)
    score = serializers.FloatField()
    flag_count = serializers.IntegerField()
    reasons = serializers.SerializerMethodField()
    claimed_by = serializers.SerializerMethodField()
    author = serializers.CharField(source="author_name")
    pending_since = serializers.DateTimeField()
    resolution = serializers.CharField(allow_blank=True)

    def get_target_type(self, item) -> str:
        return "post" if item.post_id else "user"

    def get_target_id(self, item) -> int:
        return item.post_id or item.member_id

    def get_reasons(self, item) -> list[str]:
        flags = getattr(item, "pending_flags", [])
        return list(dict.fromkeys(flag.reason for flag in flags))

    @extend_schema_field({"type": "string", "nullable": True})
    def get_claimed_by(self, item) -> str | None:
        if item.claimed_by_id is None or item.claimed_at is None:
            return None
        if item.claimed_at <= timezone.now() - dt.timedelta(minutes=conf.CLAIM_MINUTES):
            return None
        return item.claimed_by_name


class DecideInputSerializer(serializers.Serializer):
    """The decision form (``moderation.forms.DecideForm``). Which fields an action needs
    (a reason for remove, warn and sanctions, ``body`` for edit, ``category`` for move) is
    the service's rule."""

    action = serializers.ChoiceField(choices=Action.choices)
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="Sent to the member.",
    )
    days = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=3650,
        help_text="For probation, silence and suspension; without it the penalty ladder "
        "suggests a duration.",
    )
    permanent = serializers.BooleanField(required=False, default=False)
    rule = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=MAX_ID
    )
    removal_reason = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=MAX_ID
    )
    warning_level = serializers.ChoiceField(
        choices=MemberWarning.Level.choices, required=False, default=MemberWarning.Level.FORMAL
    )
    body = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=50_000, help_text="For edit."
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=500,
        help_text="Note to the author (edit).",
    )
    category = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=MAX_ID,
        help_text="The category to move the topic to (move).",
    )


class AuditFilterSerializer(serializers.Serializer):
    action = serializers.CharField(
        required=False,
        max_length=48,
        help_text='An action ("item.remove"), or a prefix ending with a dot ("item.").',
    )
    actor_name = serializers.CharField(required=False, max_length=150)
    subject_id = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="The member concerned."
    )
    category_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    item_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


class AuditEntrySerializer(serializers.ModelSerializer):
    # A system reason in the caller's language (moderation/reasons.py); a moderator's as written.
    reason = serializers.CharField(source="reason_display", read_only=True)

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "actor_name",
            "actor_role",
            "action",
            "item_id",
            "post_id",
            "topic_id",
            "category_id",
            "subject_id",
            "subject_name",
            "target_repr",
            "reason",
            "rule_number",
            "rule_title",
            "before",
            "after",
            "public",
        ]
