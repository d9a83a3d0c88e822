from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import TrustLevelChange, User, UserStats


class UserStatsInline(admin.StackedInline):
    model = UserStats
    can_delete = False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "display_name", "trust_level", "reputation", "is_active")
    list_filter = ("trust_level", "trust_level_locked", "is_active", "groups")
    search_fields = ("username", "email", "display_name")
    inlines = [UserStatsInline]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            _("Community"),
            {
                "fields": (
                    "display_name",
                    "bio",
                    "trust_level",
                    "trust_level_locked",
                    "reputation",
                    "language",
                    "timezone",
                )
            },
        ),
    )


@admin.register(TrustLevelChange)
class TrustLevelChangeAdmin(admin.ModelAdmin):
    list_display = ("user", "old_level", "new_level", "locked", "changed_by_name", "changed_at")
    readonly_fields = [f.name for f in TrustLevelChange._meta.fields]

    def has_change_permission(self, request, obj=None):
        return False
