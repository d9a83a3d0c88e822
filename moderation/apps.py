from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        from accounts.profile import ProfileSection, register_profile_section
        from community.permissions import register_member_restriction
        from moderation import handlers
        from moderation.permissions import member_restriction
        from moderation.profile import profile_section

        # community announces; moderation listens (dependencies point one way).
        handlers.connect()
        # Silenced and suspended members: no composer, no vote or edit buttons, and
        # community's services refuse them (community asks; moderation knows why).
        register_member_restriction(member_restriction)
        register_profile_section(
            ProfileSection(
                order=90,
                template="moderation/_profile_moderation.html",
                context=profile_section,
            )
        )
