"""View decorators shared by the apps' staff pages."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def signed_in_and(check: Callable, refusal: str) -> Callable[[Callable], Callable]:
    """A view decorator: visitors go to the log-in page first; a signed-in user for whom
    ``check(user)`` is false gets 403 with ``refusal`` (a lazy translation, read per request)."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied(str(refusal))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
