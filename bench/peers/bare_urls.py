"""A peer's bare server: its settings and middleware, one view that says "ok" (the ceiling)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("", ok)]
