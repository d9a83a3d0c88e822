from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        self._ready_people()

    def _ready_people(self) -> None:
        """People and e-reputation watch: mention counting on new posts, the watch's Celery
        tasks (autodiscovery imports only ``insights.tasks``) and the ambassador badge on
        profiles (accounts cannot import insights: it learns of it through this section)."""
        from accounts.profile import ProfileSection, register_profile_section
        from insights import handlers_people, tasks_people  # noqa: F401
        from insights.people import profile_section

        handlers_people.connect()
        register_profile_section(
            ProfileSection(
                order=10,
                template="insights/people/_profile_ambassador.html",
                context=profile_section,
            )
        )
