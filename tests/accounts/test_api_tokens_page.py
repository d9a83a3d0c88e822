from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import ApiToken
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return UserFactory()


@pytest.fixture
def member_client(member):
    client = Client()
    assert client.login(username=member.username, password=TEST_PASSWORD)
    return client


def test_creating_a_token_shows_its_key_once_and_the_key_authenticates(member_client, member):
    response = member_client.post("/settings/tokens/", {"name": "CRM sync"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = response.context["new_key"]
    assert key and key in response.content.decode()
    token = ApiToken.objects.get(user=member)
    assert token.name == "CRM sync"
    # Reloading the page does not show the key again.
    assert key not in member_client.get("/settings/tokens/").content.decode()
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/").json()["username"] == member.username


def test_a_token_without_a_name_is_a_form_error(member_client):
    response = member_client.post("/settings/tokens/", {"name": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_the_twenty_first_token_is_refused(member_client, member):
    from accounts.services import API_TOKENS_PER_MEMBER, api_token_create

    for n in range(API_TOKENS_PER_MEMBER):
        api_token_create(actor=member, name=f"t{n}")
    response = member_client.post("/settings/tokens/", {"name": "one more"})
    assert response.context["form"].non_field_errors()
    assert ApiToken.objects.filter(user=member).count() == API_TOKENS_PER_MEMBER


def test_revoking_own_token_works_and_another_members_token_is_404(member_client, member):
    from accounts.services import api_token_create

    own, _key = api_token_create(actor=member, name="mine")
    theirs, _ = api_token_create(actor=UserFactory(), name="theirs")
    assert member_client.post(f"/settings/tokens/{theirs.pk}/revoke/").status_code == 404
    assert member_client.get(f"/settings/tokens/{own.pk}/revoke/").status_code == 405
    response = member_client.post(f"/settings/tokens/{own.pk}/revoke/")
    assert response.status_code == 302
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["theirs"]


def test_the_tokens_page_needs_a_login(client):
    response = client.get("/settings/tokens/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_token_revoke_service_refuses_another_member(member):
    from django.core.exceptions import PermissionDenied

    from accounts.services import api_token_create, api_token_revoke

    token, _ = api_token_create(actor=UserFactory(), name="theirs")
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=member, token=token)
    assert ApiToken.objects.filter(pk=token.pk).exists()
