from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdeasConfig(AppConfig):
    name = "ideas"
    verbose_name = _("Ideas and roadmap")

    def ready(self) -> None:
        from ideas import handlers

        # community announces new topics; an idea topic gets its lifecycle row here, whichever
        # door it came through (the idea composer, the generic topic composer, the API).
        handlers.connect()
