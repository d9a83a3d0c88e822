"""Django admin for ideas. Counters, rendered HTML and history are read-only here: statuses
change through the idea page (``ideas.services.idea_status_set`` records the history and tells
followers), and ``manage.py recount_ideas`` repairs supports counts."""

from django.contrib import admin

from ideas.models import (
    Challenge,
    Idea,
    IdeaCategorySettings,
    IdeaStatusChange,
    IdeaVote,
    VoteReviewDecision,
)


class IdeaStatusChangeInline(admin.TabularInline):
    model = IdeaStatusChange
    fields = ("changed_at", "changed_by_name", "old_status", "new_status", "response")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


@admin.register(Idea)
class IdeaAdmin(admin.ModelAdmin):
    list_display = ("topic", "status", "vote_count", "challenge", "shortlisted", "shipped_at")
    list_filter = ("status", "shortlisted")
    search_fields = ("topic__title",)
    list_select_related = ("topic", "challenge")
    raw_id_fields = ("topic", "merged_into", "challenge", "responded_by")
    readonly_fields = (
        "status",
        "vote_count",
        "official_response",
        "official_response_html",
        "responded_by",
        "responded_by_name",
        "responded_at",
        "status_changed_at",
        "merged_into",
        "merged_at",
        "merged_by_name",
        "release_note_html",
        "shipped_at",
        "created_at",
    )
    inlines = [IdeaStatusChangeInline]


@admin.register(IdeaVote)
class IdeaVoteAdmin(admin.ModelAdmin):
    list_display = ("idea", "user", "created_at", "ip_network", "discounted")
    list_filter = ("discounted",)
    raw_id_fields = ("idea", "user", "merged_from", "discounted_by")
    readonly_fields = (
        "idea",
        "user",
        "created_at",
        "ip_network",
        "merged_from",
        "discounted",
        "discounted_at",
        "discounted_by",
        "discounted_by_name",
        "discounted_reason",
    )

    def has_add_permission(self, request) -> bool:
        return False  # supports go through the idea page (budgets, counts)


@admin.register(IdeaCategorySettings)
class IdeaCategorySettingsAdmin(admin.ModelAdmin):
    list_display = ("category", "vote_budget", "roadmap_public")


@admin.register(Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "submission_start", "vote_end", "announcement_at")
    search_fields = ("title",)
    filter_horizontal = ("jury",)
    raw_id_fields = ("winner", "created_by")
    readonly_fields = ("description_html", "announced_phase", "winner_chosen_at", "created_at")


@admin.register(VoteReviewDecision)
class VoteReviewDecisionAdmin(admin.ModelAdmin):
    list_display = ("idea", "action", "vote_count", "decided_by_name", "decided_at")
    readonly_fields = (
        "idea",
        "action",
        "voter_ids",
        "vote_count",
        "reason",
        "decided_by",
        "decided_by_name",
        "decided_at",
    )
