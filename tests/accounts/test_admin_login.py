from __future__ import annotations

import pytest

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_admin_login_page_sends_visitors_to_the_rate_limited_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "next=%2Fadmin%2F" in response["Location"]


def test_admin_login_form_does_not_check_passwords_itself(client):
    # A password posted to the admin's own form would bypass allauth's failed-login limits.
    admin = UserFactory(administrator=True, is_staff=True, is_superuser=True)
    response = client.post("/admin/login/", {"username": admin.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_failed_logins_are_limited_for_the_admin_too(client):
    admin = UserFactory(administrator=True, is_staff=True, is_superuser=True)
    for _ in range(5):
        client.post("/accounts/login/?next=/admin/", {"login": admin.username, "password": "no"})
    # The sixth attempt is refused even with the right password (5 failures per 5 minutes).
    response = client.post(
        "/accounts/login/?next=/admin/", {"login": admin.username, "password": TEST_PASSWORD}
    )
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_a_logged_in_administrator_reaches_the_admin(client):
    admin = UserFactory(administrator=True, is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get("/admin/").status_code == 200


def test_a_logged_in_member_is_refused_the_admin_login(client):
    client.force_login(UserFactory())
    assert client.get("/admin/login/").status_code == 403
