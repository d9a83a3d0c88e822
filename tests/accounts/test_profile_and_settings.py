import pytest
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_profile_page_shows_public_fields(client):
    member = UserFactory(username="alice", display_name="Alice A.", bio="Tea lover", trust_level=2)

    response = client.get(reverse("accounts:profile", args=["alice"]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Alice A." in content
    assert "Tea lover" in content
    assert member.get_trust_level_display() in content
    assert "alice@example.org" not in content  # e-mail is private


def test_profile_of_unknown_or_inactive_member_is_404(client):
    UserFactory(username="gone", is_active=False)
    assert client.get(reverse("accounts:profile", args=["nobody"])).status_code == 404
    assert client.get(reverse("accounts:profile", args=["gone"])).status_code == 404


def test_profile_username_lookup_is_case_insensitive(client):
    UserFactory(username="Alice")
    assert client.get("/u/alice/").status_code == 200


def test_settings_requires_login(client):
    response = client.get(reverse("accounts:settings"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_settings_saves_profile_and_language(client):
    member = UserFactory()
    client.force_login(member)

    response = client.post(
        reverse("accounts:settings"),
        {
            "display_name": "  New Name ",
            "bio": "Hello",
            "language": "fr",
            "timezone_name": "America/Montreal",
        },
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.display_name, member.bio, member.language, member.timezone) == (
        "New Name",
        "Hello",
        "fr",
        "America/Montreal",
    )
    assert response.cookies["django_language"].value == "fr"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timezone_name", "Mars/Olympus_Mons"),
        ("language", "xx"),
        ("bio", "x" * 1001),
        ("display_name", "x" * 61),
    ],
)
def test_settings_bad_input_gives_form_errors_and_changes_nothing(client, field, value):
    member = UserFactory(display_name="Before")
    client.force_login(member)
    data = {"display_name": "After", "bio": "", "language": "en", "timezone_name": "UTC"}
    data[field] = value

    response = client.post(reverse("accounts:settings"), data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert User.objects.get(pk=member.pk).display_name == "Before"


def test_profile_escapes_bio(client):
    UserFactory(username="mallory", bio="<script>alert(1)</script>")
    content = client.get("/u/mallory/").content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;" in content
