"""Every model registered in the admin lists (and searches, where it can) without an error."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REGISTERED = sorted(
    (model._meta.app_label, model._meta.model_name, bool(model_admin.search_fields))
    for model, model_admin in admin.site._registry.items()
)


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(administrator=True, is_staff=True, is_superuser=True))
    return client


def test_our_apps_register_models_in_the_admin():
    labels = {app for app, _model, _search in REGISTERED}
    ours = {"accounts", "community", "moderation", "notifications", "webhooks", "insights"}
    assert ours <= labels


@pytest.mark.parametrize(("app", "model", "searchable"), REGISTERED)
def test_admin_changelist_answers(admin_client, app, model, searchable):
    url = reverse(f"admin:{app}_{model}_changelist")
    assert admin_client.get(url).status_code == 200
    if searchable:
        assert admin_client.get(url, {"q": "x"}).status_code == 200
