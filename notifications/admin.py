"""Administrators see what was delivered, what failed and why, and may send a failed delivery
or outbox event again. Failed rows are what a task that kept failing leaves behind."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications.models import (
    Delivery,
    DeliveryStatus,
    Digest,
    DigestSchedule,
    DigestStatus,
    EmailPreference,
    MemberMute,
    Notification,
    Outbox,
    OutboxStatus,
)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "recipient", "kind", "actor_name", "topic_id", "created_at", "read_at")
    list_filter = ("kind",)
    search_fields = ("recipient__username", "actor_name", "dedupe_key")
    raw_id_fields = ("recipient", "actor", "topic", "post")
    date_hierarchy = "created_at"
    list_select_related = ("recipient",)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "recipient",
        "channel",
        "status",
        "attempts",
        "created_at",
        "sent_at",
        "detail",
        "short_error",
    )
    list_filter = ("status", "channel")
    search_fields = ("recipient__username", "message_id", "last_error")
    raw_id_fields = ("notification", "recipient")
    readonly_fields = ("claim_token", "claimed_at", "message_id", "last_error")
    list_select_related = ("recipient",)
    actions = ["retry"]

    @admin.display(description=_("last error"))
    def short_error(self, obj: Delivery) -> str:
        return obj.last_error[:80]

    @admin.action(description=_("Send the selected failed deliveries again"))
    def retry(self, request, queryset: QuerySet[Delivery]) -> None:
        from notifications import services, tasks

        failed = queryset.filter(status=DeliveryStatus.FAILED)
        recipients = sorted(set(failed.values_list("recipient_id", flat=True)))
        count = failed.update(status=DeliveryStatus.PENDING, attempts=0, claim_token="")
        for start in range(0, len(recipients), 200):
            services.publish(tasks.deliver_email, args=[recipients[start : start + 200]])
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued again.", "%(count)d deliveries queued again.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        "frequency",
        "period",
        "status",
        "attempts",
        "item_count",
        "sent_at",
    )
    list_filter = ("status", "frequency")
    search_fields = ("user__username", "period")
    raw_id_fields = ("user",)
    readonly_fields = ("claim_token", "claimed_at", "message_id", "last_error")
    list_select_related = ("user",)
    actions = ["retry"]

    @admin.action(description=_("Try the selected failed digests again at the next run"))
    def retry(self, request, queryset: QuerySet[Digest]) -> None:
        count = queryset.filter(status=DigestStatus.FAILED).update(
            status=DigestStatus.PENDING, attempts=0, claim_token=""
        )
        self.message_user(request, _("%(count)d digests queued again.") % {"count": count})


@admin.register(Outbox)
class OutboxAdmin(admin.ModelAdmin):
    list_display = ("id", "event", "key", "status", "attempts", "created_at", "processed_at")
    list_filter = ("status", "event")
    search_fields = ("key", "last_error")
    readonly_fields = ("payload", "last_error", "published_at", "processed_at")
    actions = ["retry"]

    @admin.action(description=_("Process the selected failed events again"))
    def retry(self, request, queryset: QuerySet[Outbox]) -> None:
        from notifications import services

        ids = list(queryset.filter(status=OutboxStatus.FAILED).values_list("pk", flat=True))
        Outbox.objects.filter(pk__in=ids).update(status=OutboxStatus.PENDING, attempts=0)
        for outbox_id in ids:
            services.outbox_publish(outbox_id=outbox_id)
        self.message_user(request, _("%(count)d events queued again.") % {"count": len(ids)})


@admin.register(EmailPreference)
class EmailPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "frequency", "updated_at")
    list_filter = ("kind", "frequency")
    search_fields = ("user__username",)
    raw_id_fields = ("user",)


@admin.register(DigestSchedule)
class DigestScheduleAdmin(admin.ModelAdmin):
    list_display = ("user", "daily", "weekly", "hour", "weekday")
    list_filter = ("daily", "weekly")
    search_fields = ("user__username",)
    raw_id_fields = ("user",)


@admin.register(MemberMute)
class MemberMuteAdmin(admin.ModelAdmin):
    list_display = ("user", "muted", "created_at")
    search_fields = ("user__username", "muted__username")
    raw_id_fields = ("user", "muted")
