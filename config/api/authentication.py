"""Token authentication against `accounts.ApiToken` (many named tokens per member, stored as
digests), with DRF's `Authorization: Token <key>` header."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions


class ApiTokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key: str):
        from accounts.services import api_token_authenticate

        user = api_token_authenticate(key=key)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        return (user, key)
