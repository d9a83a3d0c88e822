"""Suspended members are signed out on their next request, with the reason.

Add after ``allauth.account.middleware.AccountMiddleware`` in ``MIDDLEWARE`` (it needs the
session, the authenticated user and messages)::

    "moderation.middleware.SuspensionMiddleware",

A suspension does not touch ``User.is_active`` (which would lose the difference between a
suspended member and a closed account, and could not end by itself): the ``Sanction`` row is
the truth. The check costs one cache read per signed-in request; the cached answer is dropped
when a sanction is created or lifted and expires after a minute anyway.
"""

from __future__ import annotations

import contextlib
import logging

from django.contrib import messages
from django.contrib.auth import logout
from django.core.cache import cache
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from moderation import permissions as perms
from moderation.services import SUSPENSION_CACHE_KEY

logger = logging.getLogger(__name__)

CACHE_SECONDS = 60
_NOT_SUSPENDED = "-"
_FOREVER = "forever"


def suspended_until(user_id: int) -> tuple[bool, str | None]:
    """(suspended, until as ISO text or None for good), through a one-minute cache."""
    key = SUSPENSION_CACHE_KEY.format(user_id=user_id)
    try:
        cached = cache.get(key)
    except Exception:  # a cache outage must not break pages: ask the database
        logger.warning("cache unavailable, suspension of %s read from the database", user_id)
        cached = None
    if cached is None:
        restrictions = perms.restrictions_for_member_id(user_id)
        if not restrictions.suspended:
            cached = _NOT_SUSPENDED
        elif restrictions.suspended_until is None:
            cached = _FOREVER
        else:
            cached = restrictions.suspended_until.isoformat()
        with contextlib.suppress(Exception):  # the answer is right, only not cached
            cache.set(key, cached, CACHE_SECONDS)
    if cached == _NOT_SUSPENDED:
        return False, None
    return True, None if cached == _FOREVER else cached


class SuspensionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            suspended, until = suspended_until(user.pk)
            moment = parse_datetime(until) if until else None
            if suspended and (moment is None or moment > timezone.now()):
                logout(request)
                if moment is None:
                    message = _("Your account is suspended.")
                else:
                    message = _("Your account is suspended until %(date)s.") % {
                        "date": formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
                    }
                messages.error(request, message)
        return self.get_response(request)
