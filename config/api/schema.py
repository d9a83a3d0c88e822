"""Shapes shared by every API schema: the error bodies built by ``config.api.exceptions``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class RateLimitedSerializer(ErrorSerializer):
    retry_after = serializers.IntegerField(
        required=False,
        help_text=_(
            "Seconds until the action is allowed (daily limits; throttles send only the header)."
        ),
    )


_ERROR_TEXTS = {
    400: _('Invalid input: {"field": ["message"], "non_field_errors": ["message"]}.'),
    401: _("Not signed in: send `Authorization: Token <token>`."),
    403: _("Signed in but not allowed (role, trust level, sanction)."),
    404: _("Does not exist, or the caller may not see it."),
    409: _("The state conflicts."),
    429: _("Throttled or a daily limit reached; see the Retry-After header."),
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """Schema entries for the error statuses an operation may answer."""
    responses: dict[int, OpenApiResponse] = {}
    for code in codes:
        if code == 400:
            body = OpenApiTypes.OBJECT
        elif code == 429:
            body = RateLimitedSerializer
        else:
            body = ErrorSerializer
        responses[code] = OpenApiResponse(body, description=str(_ERROR_TEXTS[code]))
    return responses


_RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 1},
        "required": True,
        "description": str(_("Seconds to wait before trying again.")),
    }
}
_WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "schema": {"type": "string"},
        "description": str(_("How to authenticate: `Token`.")),
    }
}
_SCHEMAS = {
    "Error": {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "RateLimited": {
        "type": "object",
        "properties": {
            "detail": {"type": "string"},
            "retry_after": {
                "type": "integer",
                "description": str(RateLimitedSerializer().fields["retry_after"].help_text),
            },
        },
        "required": ["detail"],
    },
}


def _error_response(code: int, schema: str) -> dict:
    return {
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        "description": str(_ERROR_TEXTS[code]),
    }


def _needs_authentication(operation: dict) -> bool:
    security = operation.get("security")
    return bool(security) and {} not in security


def postprocess_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``):
    the error statuses every operation shares, documented once here rather than in each view.

    - 429 on every operation: the trust-level throttle (``config.api.throttling``) applies to
      all of them, always with a ``Retry-After`` header;
    - 401 on every operation that needs authentication (its ``security`` has no anonymous
      entry), with DRF's ``WWW-Authenticate`` header."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in _SCHEMAS.items():
        schemas.setdefault(name, schema)
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            throttled = responses.setdefault("429", _error_response(429, "RateLimited"))
            throttled.setdefault("headers", {}).update(_RETRY_AFTER)
            if _needs_authentication(operation):
                unauthenticated = responses.setdefault("401", _error_response(401, "Error"))
                unauthenticated.setdefault("headers", {}).update(_WWW_AUTHENTICATE)
    return result
