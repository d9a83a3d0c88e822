from django.contrib import admin

from insights.models import (
    Alert,
    Ambassador,
    DailyMetric,
    ReportDelivery,
    ReportSubscription,
    TermMentionHour,
    WatchedTerm,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Derived or historical rows: the tasks and services write them, the admin only shows."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DailyMetric)
class DailyMetricAdmin(ReadOnlyAdmin):
    list_display = ("day", "category", "active_members", "topics", "posts", "votes", "flags")
    list_filter = ("category",)
    date_hierarchy = "day"


@admin.register(WatchedTerm)
class WatchedTermAdmin(ReadOnlyAdmin):
    list_display = ("term", "kind", "active", "created_by_name", "created_at")
    list_filter = ("kind", "active")
    search_fields = ("term",)


@admin.register(TermMentionHour)
class TermMentionHourAdmin(ReadOnlyAdmin):
    list_display = ("term", "hour", "count")
    list_filter = ("term",)
    date_hierarchy = "hour"


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("subject", "kind", "observed", "baseline", "created_at", "ended_at")
    list_filter = ("kind",)


@admin.register(Ambassador)
class AmbassadorAdmin(ReadOnlyAdmin):
    list_display = ("member", "appointed_by_name", "appointed_at", "ended_at")
    search_fields = ("member__username",)
    raw_id_fields = ("member",)


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("user", "weekly", "updated_at")


@admin.register(ReportDelivery)
class ReportDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("user", "week_start", "sent_at")
    date_hierarchy = "week_start"
