"""The site's URLs plus moderation's, for the web tests while ``config/urls.py`` does not
include them yet (it should: see moderation/urls.py)."""

from django.urls import include, path

from config.urls import urlpatterns as site_urlpatterns

_namespaces = {getattr(p, "namespace", None) for p in site_urlpatterns}
urlpatterns = list(site_urlpatterns)
if "moderation" not in _namespaces:
    urlpatterns.insert(0, path("mod/", include("moderation.urls")))
if "moderation_public" not in _namespaces:
    urlpatterns.insert(0, path("", include("moderation.public_urls")))
