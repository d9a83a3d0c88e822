"""Suspended members are signed out on their next request, with the reason.

Add after ``allauth.account.middleware.AccountMiddleware`` in ``MIDDLEWARE`` (it needs the
session, the authenticated user and messages)::

    "moderation.middleware.SuspensionMiddleware",

A suspension does not touch ``User.is_active`` (which would lose the difference between a
suspended member and a closed account, and could not end by itself): the ``Sanction`` row is
the truth. The check costs one cache read per signed-in request
(:func:`moderation.permissions.restrictions_for_request`); the cached answer is dropped when a
sanction is created or lifted and expires after a minute anyway. It is also left on the user
object, so the rest of the request (community's member restriction: no composer, no votes for
a silenced member) asks no more.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout

from moderation import permissions as perms


class SuspensionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            restrictions = perms.restrictions_for_request(user)
            if restrictions.suspended:
                message = perms.restriction_message(restrictions)
                logout(request)
                messages.error(request, message)
        return self.get_response(request)
