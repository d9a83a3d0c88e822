"""`/api/`: version 1 of the REST API, its OpenAPI schema and its documentation pages.

Each app declares its endpoints in its own ``api.py`` (views and ``urlpatterns``); this module
only mounts them under ``/api/v1/``."""

from csp.decorators import csp_update
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from config.api.exceptions import not_found

app_name = "api"

docs_csp = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]})

v1 = [
    path("", include("accounts.api")),
    path("", include("community.api")),
    path("", include("moderation.api")),
    path("", include("ideas.api")),
    path("", include("notifications.api")),
    path("", include("webhooks.api")),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Both viewers build their styles at run time (style attributes, generated <style> tags) and
    # Redoc parses the schema in a blob: worker, so their pages relax exactly that, no scripts.
    path(
        "docs/",
        docs_csp(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path(
        "redoc/",
        docs_csp(SpectacularRedocView.as_view(url_name="api:schema")),
        name="redoc",
    ),
    # Last: any other /api/ path ending with a slash is a JSON 404 (a negative id matches no
    # <int:> route). Paths without the slash keep APPEND_SLASH's redirect.
    re_path(r"^.*/$", not_found, name="not-found"),
]
