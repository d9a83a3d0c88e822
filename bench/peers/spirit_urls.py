"""Spirit's URLs as its project template mounts them (the forum at the root)."""

import spirit.urls
from django.contrib import admin
from django.urls import include, path

urlpatterns = [path("", include(spirit.urls)), path("admin/", admin.site.urls)]
