from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Community")

    def ready(self) -> None:
        from accounts.profile import ProfileSection, register_profile_section
        from community import caching
        from community.views import profile_recent_posts

        # The anonymous page cache follows the community's own events (community/caching.py).
        caching.connect_invalidation()

        # accounts cannot import community (dependencies point one way): the profile page
        # learns about a member's posts through this section.
        register_profile_section(
            ProfileSection(
                order=20,
                template="community/_profile_recent_posts.html",
                context=profile_recent_posts,
            )
        )
