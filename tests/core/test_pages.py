import re

import pytest

pytestmark = pytest.mark.django_db


def test_home_page_in_english_and_french(client):
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    french = client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Skip to content" in english
    assert 'lang="fr"' in french
    assert "Aller au contenu" in french


def test_pages_carry_a_csp_without_inline_scripts(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "unsafe-inline" not in policy
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.content.decode(), re.S)
    assert scripts, "the page loads htmx and the site script"
    for attributes, body in scripts:
        assert "src=" in attributes and body.strip() == ""


def test_anonymous_visit_creates_no_session(client):
    response = client.get("/")
    assert "sessionid" not in response.cookies


def test_unknown_page_uses_the_site_404(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "This page does not exist" in response.content.decode()


def test_language_switch_sets_french(client):
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert response.status_code == 302
    assert 'lang="fr"' in client.get("/").content.decode()


@pytest.mark.urls("tests.core.urls_boom")
def test_server_error_uses_the_site_500_page(client):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert "deliberate failure" not in response.content.decode()


def test_permission_denied_uses_the_site_403_page(client):
    from tests.factories import UserFactory

    UserFactory(username="target")
    client.force_login(UserFactory())
    response = client.post("/u/target/trust-level/", {"level": 4})
    assert response.status_code == 403
    assert "You may not do that" in response.content.decode()
