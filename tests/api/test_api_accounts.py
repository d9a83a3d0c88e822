from __future__ import annotations

import pytest

from accounts.models import ApiToken
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_token_login_returns_a_token_that_authenticates(api, member):
    response = api.post(
        "/api/v1/auth/token/",
        {"username": member.username, "password": TEST_PASSWORD},
        format="json",
    )
    assert response.status_code == 201
    key = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    me = api.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == member.username
    # Only a digest is stored: the key itself is nowhere in the table.
    assert not ApiToken.objects.filter(key_digest=key).exists()
    assert ApiToken.objects.get(user=member).prefix == key[:8]


def test_token_login_accepts_the_email_address(api, member):
    response = api.post(
        "/api/v1/auth/token/", {"username": member.email, "password": TEST_PASSWORD}, format="json"
    )
    assert response.status_code == 201


def test_token_login_with_a_wrong_password_is_a_400_with_a_message(api, member):
    response = api.post(
        "/api/v1/auth/token/", {"username": member.username, "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["non_field_errors"]
    assert not ApiToken.objects.exists()


def test_token_login_missing_fields_are_named(api):
    response = api.post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_token_login_of_a_staff_member_with_totp_is_refused(api, moderator):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=moderator, type=Authenticator.Type.TOTP, data={})
    response = api.post(
        "/api/v1/auth/token/",
        {"username": moderator.username, "password": TEST_PASSWORD},
        format="json",
    )
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_token_login_is_throttled(api, member):
    statuses = [
        api.post(
            "/api/v1/auth/token/", {"username": member.username, "password": "x"}, format="json"
        ).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429


def test_me_without_credentials_is_401(api):
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_a_revoked_or_unknown_token_is_401(api, api_as, member):
    client = api_as(member)
    ApiToken.objects.all().delete()
    assert client.get("/api/v1/me/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert api.get("/api/v1/me/").status_code == 401


def test_a_deactivated_members_token_stops_working(api_as, member):
    client = api_as(member)
    member.is_active = False
    member.save()
    assert client.get("/api/v1/me/").status_code == 401


def test_me_shows_private_fields_but_public_profile_does_not(member_api, member, other_member):
    me = member_api.get("/api/v1/me/").json()
    assert me["email"] == member.email
    profile = member_api.get(f"/api/v1/users/{other_member.username}/").json()
    assert profile["username"] == other_member.username
    assert "email" not in profile and "language" not in profile and "id" not in profile


def test_public_profile_of_unknown_or_inactive_member_is_404(api, member):
    assert api.get("/api/v1/users/nobody-here/").status_code == 404
    member.is_active = False
    member.save()
    assert api.get(f"/api/v1/users/{member.username}/").status_code == 404


def test_members_list_and_revoke_only_their_own_tokens(api_as, member, other_member):
    client = api_as(member)
    api_as(other_member)
    tokens = client.get("/api/v1/me/tokens/").json()["results"]
    assert [t["name"] for t in tokens] == ["tests"]
    other_token = ApiToken.objects.get(user=other_member)
    assert client.delete(f"/api/v1/me/tokens/{other_token.pk}/").status_code == 404
    assert ApiToken.objects.filter(pk=other_token.pk).exists()
    own = ApiToken.objects.get(user=member)
    assert client.delete(f"/api/v1/me/tokens/{own.pk}/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401


def test_api_throttle_depends_on_trust_level(api_as, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, 0: "3/min", 3: "6/min"}
    newcomer_client = api_as(UserFactory(trust_level=0))
    regular_client = api_as(UserFactory(trust_level=3))
    newcomer = [newcomer_client.get("/api/v1/me/").status_code for _ in range(4)]
    regular = [regular_client.get("/api/v1/me/").status_code for _ in range(4)]
    assert newcomer == [200, 200, 200, 429]
    assert regular == [200, 200, 200, 200]
    throttled = newcomer_client.get("/api/v1/me/")
    assert int(throttled["Retry-After"]) > 0


def test_schema_and_documentation_pages_are_served_without_cdn(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/auth/token/" in schema.content
    for url in ("/api/docs/", "/api/redoc/"):
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert "https://" not in html.replace("https://causerie", "")
        assert "/static/drf_spectacular_sidecar/" in html


def test_my_tokens_list_pages_with_a_cursor_and_a_fixed_query_budget(
    api_as, member, django_assert_max_num_queries
):
    from accounts.services import api_token_create

    client = api_as(member)
    client.get("/api/v1/me/")  # the token's first use is recorded once
    counts = []
    for wanted in (3, 20):  # 20: the most tokens a member may hold (API_TOKENS_PER_MEMBER)
        while member.api_tokens.count() < wanted:
            api_token_create(actor=member, name=f"script {member.api_tokens.count()}")
        with django_assert_max_num_queries(5) as captured:
            response = client.get("/api/v1/me/tokens/", {"page_size": 100})
        assert response.status_code == 200
        assert len(response.json()["results"]) == wanted
        counts.append(len(captured))
    assert counts[0] == counts[1]
    first = client.get("/api/v1/me/tokens/", {"page_size": 5}).json()
    assert first["next"] and first["previous"] is None
    assert client.get("/api/v1/me/tokens/", {"cursor": "nonsense"}).status_code == 400
