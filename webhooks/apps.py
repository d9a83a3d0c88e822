from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from webhooks import handlers

        # community, ideas and moderation announce what happened; endpoints that subscribe
        # get a signed delivery of it (see webhooks.services).
        handlers.connect()
