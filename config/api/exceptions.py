"""One error shape for the whole API. Services raise Django's domain errors; this handler turns
them into DRF responses so that every endpoint answers alike:

- ``ValidationError`` → 400 ``{"field": ["message"]}`` (errors without a field go under
  ``non_field_errors``); with code ``conflict`` or ``already_*`` → 409 ``{"detail": ...}``;
- ``RateLimited`` (a daily limit of the services) → 429 with ``Retry-After``;
- ``PermissionDenied`` → 403 (401 when nobody is logged in), ``Http404`` → 404.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def _codes(exc: DjangoValidationError) -> set[str]:
    return (
        {getattr(error, "code", None) or "" for error in exc.error_list}
        if hasattr(exc, "error_list")
        else {
            getattr(error, "code", None) or ""
            for errors in exc.error_dict.values()
            for error in errors
        }
    )


def _is_conflict(exc: DjangoValidationError) -> bool:
    return any(code == "conflict" or code.startswith("already_") for code in _codes(exc))


def validation_error_data(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            (NON_FIELD if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in exc.message_dict.items()
        }
    return {NON_FIELD: [str(m) for m in exc.messages]}


def rate_limited_response(detail: str, retry_after: float) -> Response:
    """The 429 of a daily limit (``RateLimited`` of the services, the daily flag limit):
    ``{"detail", "retry_after"}`` and the ``Retry-After`` header, in whole seconds (≥ 1)."""
    seconds = max(1, int(retry_after))
    response = Response(
        {"detail": detail, "retry_after": seconds}, status=status.HTTP_429_TOO_MANY_REQUESTS
    )
    response["Retry-After"] = str(seconds)
    return response


def exception_handler(exc, context):
    from community.services import RateLimited

    if isinstance(exc, RateLimited):
        return rate_limited_response(str(exc.message), exc.retry_after)
    if isinstance(exc, DjangoValidationError):
        if _is_conflict(exc):
            exc = Conflict(" ".join(str(m) for m in exc.messages))
        else:
            return Response(validation_error_data(exc), status=status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, PermissionDenied):
        request = context.get("request")
        if request is not None and not request.user.is_authenticated:
            exc = exceptions.NotAuthenticated()
        else:
            exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


@csrf_exempt  # nothing is done: a POST without a CSRF token gets the same 404
def not_found(request, *args, **kwargs) -> JsonResponse:
    """Any /api/ path that matches no endpoint (``/api/v1/ideas/-1/vote/``): the API's JSON
    404, not the site's HTML page."""
    return JsonResponse({"detail": str(exceptions.NotFound.default_detail)}, status=404)
