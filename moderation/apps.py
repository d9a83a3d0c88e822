from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        from accounts.profile import ProfileSection, register_profile_section
        from moderation import handlers
        from moderation.profile import profile_section

        # community announces; moderation listens (dependencies point one way).
        handlers.connect()
        register_profile_section(
            ProfileSection(
                order=90,
                template="moderation/_profile_moderation.html",
                context=profile_section,
            )
        )
