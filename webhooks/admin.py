"""Webhooks in the Django admin: endpoints and deliveries, read-mostly. Writes go through the
services (the admin's own save is not used for deliveries): the "redeliver" action calls
``webhooks.services.delivery_redeliver`` for each selected delivery."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["__str__", "url", "active", "consecutive_failures", "owner_name", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "description"]
    readonly_fields = [
        "owner",
        "owner_name",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "created_at",
        "updated_at",
    ]
    fields = ["url", "description", "events", "secret", "active", *readonly_fields]

    def has_add_permission(self, request) -> bool:
        # Registering goes through /webhooks/new/: the URL is checked there (SSRF rule).
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "uuid",
        "endpoint",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
        "next_attempt_at",
    ]
    list_filter = ["status", "event"]
    list_select_related = ["endpoint"]
    search_fields = ["uuid", "event_id"]
    actions = ["redeliver"]
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Redeliver the selected deliveries"))
    def redeliver(self, request, queryset) -> None:
        done = 0
        for delivery in queryset.select_related("endpoint"):
            try:
                services.delivery_redeliver(actor=request.user, delivery=delivery)
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(
                    request,
                    f"{delivery.uuid}: {' '.join(getattr(exc, 'messages', [str(exc)]))}",
                    messages.ERROR,
                )
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d redelivery queued.", "%(count)d redeliveries queued.", done)
                % {"count": done},
                messages.SUCCESS,
            )
