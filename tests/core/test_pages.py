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
