from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import redirect
from django.utils import timezone

from accounts import permissions, services

logger = logging.getLogger(__name__)


class VisitMiddleware:
    """Count a member's visited days for trust levels without a write per request: a cache key
    per member and day lets only the first request of the day reach the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            today = timezone.localdate()
            key = f"visit:{user.pk}:{today.isoformat()}"
            try:
                first_today = cache.add(key, 1, timeout=60 * 60 * 26)
            except Exception:  # a cache outage must not break pages; the visit is counted later
                logger.warning("cache unavailable, visit of %s not counted", user.pk)
                first_today = False
            if first_today:
                services.user_visit_record(user_id=user.pk, today=today)
        return self.get_response(request)


class StaffTwoFactorMiddleware:
    """With CAUSERIE_REQUIRE_2FA_FOR_STAFF on, send staff without TOTP to set it up first."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/i18n/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.CAUSERIE_REQUIRE_2FA_FOR_STAFF and self._must_enrol(request):
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    def _must_enrol(self, request) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        if request.path.startswith(self.ALLOWED_PREFIXES):
            return False
        if not permissions.is_staff_role(user):
            return False
        from allauth.mfa.models import Authenticator

        return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
