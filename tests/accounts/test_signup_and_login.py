import re
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.models import User, UserStats
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _signup(client, **overrides):
    data = {
        "username": "newcomer",
        "email": "newcomer@example.org",
        "password1": "correct-horse-battery-9",
        "password2": "correct-horse-battery-9",
        **overrides,
    }
    return client.post(reverse("account_signup"), data)


def test_signup_sends_verification_mail_to_var_mail_and_link_logs_in(client, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"

    response = _signup(client)

    assert response.status_code == 302
    user = User.objects.get(username="newcomer")
    assert user.groups.filter(name="Member").exists()
    assert UserStats.objects.filter(user=user).exists()
    assert not EmailAddress.objects.get(user=user).verified
    mails = list(Path(settings.EMAIL_FILE_PATH).iterdir())
    assert len(mails) == 1
    body = mails[0].read_text()
    assert "newcomer@example.org" in body
    link = re.search(r"http://testserver(/accounts/confirm-email/[^\s]+/)", body).group(1)

    confirm_page = client.get(link)
    assert confirm_page.status_code == 200
    confirmed = client.post(link)

    assert confirmed.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("accounts:settings")).status_code == 200  # logged in


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"password2": "something-else-entirely"}, "password2"),
        ({"password1": "123", "password2": "123"}, "password1"),
        ({"username": "a"}, "username"),
        ({"username": "x" * 200}, "username"),
        ({"username": "..."}, "username"),
        ({"username": "bad name"}, "username"),
        ({"username": "a+b@c"}, "username"),
    ],
)
def test_signup_bad_input_shows_form_errors_and_saves_nothing(client, overrides, field):
    response = _signup(client, **overrides)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not User.objects.filter(email="newcomer@example.org").exists()


def test_signup_with_taken_username_is_refused(client):
    UserFactory(username="newcomer")

    response = _signup(client)

    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert User.objects.filter(username="newcomer").count() == 1


@pytest.mark.parametrize("login", ["alice", "alice@example.org"])
def test_login_by_username_or_email(client, login):
    UserFactory(username="alice", email="alice@example.org")

    response = client.post(reverse("account_login"), {"login": login, "password": TEST_PASSWORD})

    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_login_bad_input_gives_form_error_not_500(client):
    response = client.post(reverse("account_login"), {"login": "", "password": ""})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_ten_wrong_passwords_in_a_row_are_rate_limited(client):
    UserFactory(username="alice", email="alice@example.org")
    url = reverse("account_login")

    messages = []
    for _ in range(10):
        response = client.post(url, {"login": "alice", "password": "wrong-password"})
        messages.append(" ".join(str(e) for e in response.context["form"].non_field_errors()))

    assert "Too many failed login attempts" in messages[-1]
    # Locked out even with the right password until the window passes.
    response = client.post(url, {"login": "alice", "password": TEST_PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_unverified_member_cannot_log_in(client):
    UserFactory(username="bob", email="bob@example.org", verified=False)

    response = client.post(reverse("account_login"), {"login": "bob", "password": TEST_PASSWORD})

    assert "_auth_user_id" not in client.session
    assert response.status_code == 302
    assert "confirm-email" in response["Location"]


def test_password_reset_sends_a_mail(client, mailoutbox):
    UserFactory(username="alice", email="alice@example.org")

    response = client.post(reverse("account_reset_password"), {"email": "alice@example.org"})

    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/password/reset/key/" in mailoutbox[0].body
