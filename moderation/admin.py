"""Django admin for moderation: read-only. Every write goes through ``moderation.services``
(the CM pages and the API call them), so that rules are checked, watched words are vetted for
safety and every change reaches the audit log; the audit log itself is never editable."""

from django.contrib import admin

from moderation.models import (
    Appeal,
    AuditEntry,
    CommunityRule,
    Flag,
    MemberWarning,
    ModeratorNote,
    RemovalReason,
    ReviewItem,
    Sanction,
    StaffRequest,
    WatchedWord,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_name", "actor_role", "action", "target_repr", "reason")
    list_filter = ("action", "actor_role", "public")
    search_fields = ("actor_name", "subject_name", "target_repr", "reason")
    date_hierarchy = "created_at"


@admin.register(ReviewItem)
class ReviewItemAdmin(ReadOnlyAdmin):
    list_display = ("pk", "kind", "status", "score", "flag_count", "category", "author_name")
    list_filter = ("status", "kind")
    list_select_related = ("category",)
    raw_id_fields = ("post", "member", "topic", "author", "claimed_by", "resolved_by")


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    list_display = ("pk", "reason", "status", "weight", "flagger_name", "created_at")
    list_filter = ("reason", "status")
    raw_id_fields = ("item", "post", "member", "flagger", "staff_request")


@admin.register(Sanction)
class SanctionAdmin(ReadOnlyAdmin):
    list_display = ("member", "kind", "starts_at", "ends_at", "lifted_at", "created_by_name")
    list_filter = ("kind", "automatic")
    raw_id_fields = ("member", "item", "created_by", "lifted_by")


@admin.register(MemberWarning)
class MemberWarningAdmin(ReadOnlyAdmin):
    list_display = ("member", "level", "created_at", "expires_at", "created_by_name")
    raw_id_fields = ("member", "item", "created_by")


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ("pk", "author_name", "status", "created_at", "decided_by_name")
    list_filter = ("status",)
    raw_id_fields = ("item", "sanction", "author", "decided_by")


@admin.register(WatchedWord)
class WatchedWordAdmin(ReadOnlyAdmin):
    list_display = ("pattern", "is_regex", "action", "replacement", "created_by_name")
    list_filter = ("action", "is_regex")


@admin.register(CommunityRule)
class CommunityRuleAdmin(ReadOnlyAdmin):
    list_display = ("number", "title", "active")


@admin.register(RemovalReason)
class RemovalReasonAdmin(ReadOnlyAdmin):
    list_display = ("title", "rule", "active", "position")


@admin.register(ModeratorNote)
class ModeratorNoteAdmin(ReadOnlyAdmin):
    list_display = ("member", "created_by_name", "created_at")
    raw_id_fields = ("member", "created_by")


@admin.register(StaffRequest)
class StaffRequestAdmin(ReadOnlyAdmin):
    list_display = ("topic", "team", "status", "requested_at", "due_at", "answered_at")
    list_filter = ("status", "source")
    raw_id_fields = ("topic", "post", "requested_by", "answered_by", "answer_post")
