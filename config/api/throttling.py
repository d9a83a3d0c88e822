"""API throttle by trust level: visitors by IP, members by account at their level's rate."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class TrustLevelThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self) -> str | None:
        # The rate depends on the request: `allow_request` sets it per caller.
        return None

    def allow_request(self, request, view) -> bool:
        user = request.user
        if user is not None and user.is_authenticated:
            from accounts.permissions import is_staff_role

            level = 4 if is_staff_role(user) else int(user.trust_level)
            self.rate = settings.API_THROTTLE_RATES.get(level) or settings.API_THROTTLE_RATES[0]
        else:
            self.rate = settings.API_THROTTLE_RATES["anon"]
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        if request.user is not None and request.user.is_authenticated:
            ident = f"u{request.user.pk}"
        else:
            ident = f"ip{self.get_ident(request)}"
        return f"throttle:api:{ident}"
