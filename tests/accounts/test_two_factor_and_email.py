import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.urls import reverse

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _current_code(secret: str) -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def _log_in(client, login: str):
    return client.post(reverse("account_login"), {"login": login, "password": TEST_PASSWORD})


def test_member_activates_totp_then_login_asks_for_the_code(client):
    UserFactory(username="alice")
    _log_in(client, "alice")

    # Setting up a second factor asks for the password again (allauth's reauthentication).
    page = client.get(reverse("mfa_activate_totp"), follow=True)
    if page.redirect_chain:
        assert reverse("account_reauthenticate") in page.redirect_chain[-1][0]
        client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
        page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors
    assert not Authenticator.objects.exists()

    activated = client.post(reverse("mfa_activate_totp"), {"code": _current_code(secret)})
    assert activated.status_code == 302
    assert Authenticator.objects.filter(type=Authenticator.Type.TOTP).count() == 1

    client.post(reverse("account_logout"))
    response = _log_in(client, "alice")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session


def test_staff_with_totp_are_not_redirected_when_2fa_is_required(client, settings):
    settings.CAUSERIE_REQUIRE_2FA_FOR_STAFF = True
    moderator = UserFactory(moderator=True)
    Authenticator.objects.create(
        user=moderator, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    client.force_login(moderator)
    assert client.get("/").status_code == 200


def test_member_adds_a_second_email_which_needs_verification(client, mailoutbox):
    member = UserFactory(username="alice")
    _log_in(client, "alice")

    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "alice.new@example.org"}
    )

    assert response.status_code == 302
    new = EmailAddress.objects.get(user=member, email="alice.new@example.org")
    assert not new.verified
    assert any("alice.new@example.org" in m.to for m in mailoutbox)


def test_adding_an_invalid_email_is_a_form_error(client):
    UserFactory(username="alice")
    _log_in(client, "alice")
    response = client.post(reverse("account_email"), {"action_add": "", "email": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors
