"""API v1 for accounts: token log-in, the caller's own record, public profiles, and the
caller's tokens. Thin: parse, call a selector or service, respond."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import exceptions, generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts import permissions, selectors, services
from accounts.models import ApiToken, User
from config.api.pagination import cursor_pagination, page_body
from config.api.schema import error_responses

ME_EXAMPLE = {
    "id": 17,
    "username": "alice",
    "display_name": "Alice Martin",
    "bio": "Tea first.",
    "trust_level": 2,
    "reputation": 310,
    "roles": ["Member"],
    "date_joined": "2026-03-02T09:15:00Z",
    "profile_url": "/u/alice/",
    "email": "alice@example.org",
    "language": "en",
    "timezone": "Europe/Paris",
}
TOKEN_EXAMPLE = {
    "id": 3,
    "name": "CRM sync",
    "prefix": "mF3k",
    "created_at": "2026-11-02T10:00:00Z",
    "last_used_at": "2026-11-22T06:55:12Z",
}


class PublicUserSerializer(serializers.ModelSerializer):
    """What anybody may see of a member: the public profile, nothing private."""

    roles = serializers.SerializerMethodField()
    profile_url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = User
        fields = [
            "username",
            "display_name",
            "bio",
            "trust_level",
            "reputation",
            "roles",
            "date_joined",
            "profile_url",
        ]

    def get_roles(self, member: User) -> list[str]:
        return permissions.role_names(member)


class MeSerializer(PublicUserSerializer):
    class Meta(PublicUserSerializer.Meta):
        fields = [
            "id",
            *PublicUserSerializer.Meta.fields,
            "email",
            "language",
            "timezone",
        ]


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at"]


class TokenLoginThrottle(AnonRateThrottle):
    """Password guessing through the API is limited like the log-in form."""

    scope = "api_token_login"
    rate = "10/min"


class TokenObtainView(APIView):
    authentication_classes: list = []
    throttle_classes = [TokenLoginThrottle]

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(help_text="Username or e-mail address.")
        password = serializers.CharField(style={"input_type": "password"})
        name = serializers.CharField(required=False, max_length=80, default="API")

    @extend_schema(
        operation_id="auth_token_create",
        request=InputSerializer,
        responses={
            201: inline_serializer("TokenCreated", {"token": serializers.CharField()}),
            **error_responses(400, 403, 429),
        },
        examples=[
            OpenApiExample(
                "Log in", value={"username": "alice", "password": "…"}, request_only=True
            ),
            OpenApiExample("Token", value={"token": "mF3k…"}, response_only=True),
        ],
        description="Exchange a username (or e-mail) and password for a token. Members of a "
        "staff role with two-factor authentication create their tokens in their settings page.",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None or not user.is_active:
            return Response(
                {"non_field_errors": [_("The username or the password is wrong.")]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if permissions.is_staff_role(user) and _has_two_factor(user):
            # A password alone must not bypass the second factor of a staff account.
            raise exceptions.PermissionDenied(
                _("Your account uses two-factor authentication: create a token in your settings.")
            )
        _token, key = services.api_token_create(actor=user, name=data.validated_data["name"])
        return Response({"token": key}, status=status.HTTP_201_CREATED)


def _has_two_factor(user: User) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_retrieve",
        responses={200: MeSerializer, **error_responses(401)},
        examples=[OpenApiExample("Me", value=ME_EXAMPLE, response_only=True)],
        description="The caller's own account: the public profile plus the e-mail address, "
        "language and time zone.",
    )
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class UserDetailView(APIView):
    @extend_schema(
        operation_id="users_retrieve",
        description="A member's public profile (nothing private: no e-mail address). An "
        "unknown or deactivated account is a 404.",
        responses={200: PublicUserSerializer, **error_responses(404)},
        examples=[
            OpenApiExample(
                "Profile",
                value={
                    "username": "alice",
                    "display_name": "Alice Martin",
                    "bio": "Tea first.",
                    "trust_level": 2,
                    "reputation": 310,
                    "roles": ["Member"],
                    "date_joined": "2026-03-02T09:15:00Z",
                    "profile_url": "/u/alice/",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, username: str):
        return Response(PublicUserSerializer(selectors.user_get_public(username=username)).data)


class MyTokenListView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = TokenSerializer
    pagination_class = cursor_pagination("-pk")
    filter_backends: list = []

    def get_queryset(self):
        return ApiToken.objects.filter(user=self.request.user)

    @extend_schema(
        operation_id="me_tokens_list",
        responses={200: TokenSerializer(many=True), **error_responses(400, 401)},
        examples=[
            OpenApiExample(
                "My tokens",
                value=page_body(TOKEN_EXAMPLE),
                response_only=True,
            )
        ],
        description="The caller's API tokens, newest first, as their settings page "
        "(/settings/tokens/) lists them: the name and the key's first characters, never "
        "the key itself. A malformed cursor is a 400.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MyTokenDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_tokens_destroy",
        responses={204: None, **error_responses(401, 404)},
        examples=[
            OpenApiExample(
                "Not one of mine",
                value={"detail": "Not found."},
                response_only=True,
                status_codes=["404"],
            )
        ],
        description="Revoke one of the caller's tokens (the settings page's Revoke button): "
        "it stops working at once. Another member's token is a 404.",
    )
    def delete(self, request, token_id: int):
        token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
        services.api_token_revoke(actor=request.user, token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="auth-token"),
    path("me/", MeView.as_view(), name="me"),
    path("me/tokens/", MyTokenListView.as_view(), name="me-tokens"),
    path("me/tokens/<int:token_id>/", MyTokenDetailView.as_view(), name="me-token"),
    path("users/<str:username>/", UserDetailView.as_view(), name="user-detail"),
]
