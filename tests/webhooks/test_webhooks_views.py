"""The administrators' pages at /webhooks/ and the Django admin: permissions, forms, the
delivery log (with its query budget), redeliver and ping buttons."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint


def _log_rows(endpoint, count: int) -> None:
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint,
                event="topic.created",
                event_id=f"00000000-0000-4000-8000-{n:012d}",
                payload={"id": n},
                status=DeliveryStatus.SUCCEEDED if n % 2 else DeliveryStatus.FAILED,
                attempts=1,
                last_status_code=200 if n % 2 else 500,
                last_error="" if n % 2 else "The receiver answered HTTP 500.",
                next_attempt_at=None if n % 2 else now + timedelta(minutes=5),
                delivered_at=now if n % 2 else None,
                created_at=now - timedelta(seconds=n),
            )
            for n in range(count)
        ]
    )


@pytest.mark.parametrize("role", ["member", "moderator", "brand_staff"])
def test_the_pages_answer_403_to_anybody_but_administrators(request, role, login, make_endpoint):
    endpoint = make_endpoint()
    (delivery,) = services.event_record(event="topic.created", data={})
    client = login(request.getfixturevalue(role))
    for url in (
        reverse("webhooks:list"),
        reverse("webhooks:new"),
        reverse("webhooks:endpoint", args=[endpoint.pk]),
        reverse("webhooks:edit", args=[endpoint.pk]),
        reverse("webhooks:delivery", args=[delivery.pk]),
    ):
        assert client.get(url).status_code == 403, url
    for url in (
        reverse("webhooks:delete", args=[endpoint.pk]),
        reverse("webhooks:ping", args=[endpoint.pk]),
        reverse("webhooks:enable", args=[endpoint.pk]),
        reverse("webhooks:disable", args=[endpoint.pk]),
        reverse("webhooks:redeliver", args=[delivery.pk]),
    ):
        assert client.post(url).status_code == 403, url
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).active
    assert WebhookDelivery.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("webhooks:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_administrator_registers_an_endpoint_with_event_checkboxes(
    login, administrator, receiver
):
    client = login(administrator)
    page = client.get(reverse("webhooks:new"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="checkbox"' in html and 'value="idea.status_changed"' in html

    response = client.post(
        reverse("webhooks:new"),
        {
            "url": receiver.url,
            "description": "CRM",
            "events": ["topic.created", "idea.created"],
            "secret": "",
        },
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == endpoint.get_absolute_url()
    assert endpoint.events == ["topic.created", "idea.created"]
    assert endpoint.owner == administrator and len(endpoint.secret) >= 32

    listing = client.get(reverse("webhooks:list")).content.decode()
    assert "CRM" in listing and "Topic created" in listing


def test_bad_input_comes_back_as_form_errors_and_saves_nothing(login, administrator, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    client = login(administrator)
    response = client.post(
        reverse("webhooks:new"),
        {"url": "http://169.254.169.254/latest/", "events": ["topic.created"]},
    )
    assert response.status_code == 400
    assert "public addresses" in response.content.decode()
    response = client.post(reverse("webhooks:new"), {"url": "ftp://x.example", "events": []})
    assert response.status_code == 400
    assert "Choose at least one event." in response.content.decode()
    response = client.post(
        reverse("webhooks:new"), {"url": "https://x.example", "events": ["nope"]}
    )
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()


def test_editing_keeps_the_secret_when_left_empty(login, administrator, make_endpoint, receiver):
    endpoint = make_endpoint(secret="the-original-secret-01")
    client = login(administrator)
    assert client.get(reverse("webhooks:edit", args=[endpoint.pk])).status_code == 200
    response = client.post(
        reverse("webhooks:edit", args=[endpoint.pk]),
        {"url": receiver.url, "description": "Renamed", "events": ["post.created"], "secret": ""},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.description, endpoint.events) == ("Renamed", ["post.created"])
    assert endpoint.secret == "the-original-secret-01"


def test_the_log_shows_status_codes_and_redeliver_buttons(
    login, administrator, make_endpoint, receiver, on_commit, settings
):
    settings.WEBHOOKS_RETRY_SCHEDULE = ()
    endpoint = make_endpoint()
    receiver.answer_next(500)
    with on_commit():
        (delivery,) = services.event_record(event="topic.created", data={})
    client = login(administrator)
    html = client.get(endpoint.get_absolute_url()).content.decode()
    assert "500" in html and "Given up" in html
    assert reverse("webhooks:redeliver", args=[delivery.pk]) in html
    assert "Send test ping" in html

    with on_commit():
        response = client.post(reverse("webhooks:redeliver", args=[delivery.pk]))
    assert response.status_code == 302
    copy = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
    assert copy.redelivery_of_id == delivery.pk and copy.status == DeliveryStatus.SUCCEEDED
    html = client.get(endpoint.get_absolute_url()).content.decode()
    assert "Succeeded" in html and "200" in html and "redelivery" in html

    detail = client.get(reverse("webhooks:delivery", args=[delivery.pk])).content.decode()
    assert str(delivery.uuid) in detail and "topic.created" in detail


def test_the_ping_button_sends_a_ping(login, administrator, make_endpoint, receiver, on_commit):
    endpoint = make_endpoint()
    client = login(administrator)
    with on_commit():
        response = client.post(reverse("webhooks:ping", args=[endpoint.pk]))
    assert response.status_code == 302
    assert [r.headers["X-Causerie-Event"] for r in receiver.requests] == ["ping"]


def test_disable_enable_and_delete_buttons(login, administrator, make_endpoint):
    endpoint = make_endpoint()
    client = login(administrator)
    client.post(reverse("webhooks:disable", args=[endpoint.pk]))
    assert not WebhookEndpoint.objects.get(pk=endpoint.pk).active
    html = client.get(endpoint.get_absolute_url()).content.decode()
    assert "This endpoint is disabled" in html
    # Redelivering to a disabled endpoint is refused with a message, not a 500.
    client.post(reverse("webhooks:enable", args=[endpoint.pk]))
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).active
    response = client.post(reverse("webhooks:delete", args=[endpoint.pk]))
    assert response.status_code == 302 and not WebhookEndpoint.objects.exists()
    assert client.get(reverse("webhooks:endpoint", args=[endpoint.pk])).status_code == 404


def test_redeliver_to_a_disabled_endpoint_is_refused_with_a_message(
    login, administrator, make_endpoint
):
    endpoint = make_endpoint()
    (delivery,) = services.event_record(event="topic.created", data={})
    services.endpoint_disable(actor=administrator, endpoint=endpoint)
    client = login(administrator)
    response = client.post(reverse("webhooks:redeliver", args=[delivery.pk]), follow=True)
    assert response.status_code == 200
    assert "enable it first" in response.content.decode()
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.parametrize("count", [3, 50])
def test_delivery_log_query_budget(
    count, login, administrator, make_endpoint, django_assert_max_num_queries
):
    endpoint = make_endpoint()
    _log_rows(endpoint, count)
    client = login(administrator)
    client.get(reverse("webhooks:list"))  # warm the session and per-user caches
    with django_assert_max_num_queries(8):
        response = client.get(endpoint.get_absolute_url())
    assert response.status_code == 200
    assert response.content.decode().count('action="/webhooks/deliveries/') == count


@pytest.mark.parametrize("count", [3, 50])
def test_endpoint_list_query_budget(
    count, login, administrator, receiver, django_assert_max_num_queries
):
    for n in range(count):
        endpoint = services.endpoint_create(
            actor=administrator, url=receiver.url, events=["topic.created"], description=f"E{n}"
        )
        if n < 3:
            _log_rows(endpoint, 2)
    client = login(administrator)
    client.get(reverse("webhooks:list"))
    with django_assert_max_num_queries(6):
        response = client.get(reverse("webhooks:list"))
    assert response.content.decode().count("/webhooks/") >= count


def test_the_django_admin_redeliver_action(make_endpoint, receiver, on_commit):
    superuser = UserFactory(administrator=True, is_staff=True, is_superuser=True)
    endpoint = make_endpoint()
    (delivery,) = services.event_record(event="topic.created", data={})
    from django.test import Client

    from tests.factories import TEST_PASSWORD

    client = Client()
    assert client.login(username=superuser.username, password=TEST_PASSWORD)
    changelist = reverse("admin:webhooks_webhookdelivery_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(reverse("admin:webhooks_webhookendpoint_changelist")).status_code == 200
    with on_commit():
        response = client.post(
            changelist, {"action": "redeliver", "_selected_action": [delivery.pk]}
        )
    assert response.status_code == 302
    copy = WebhookDelivery.objects.get(redelivery_of=delivery)
    assert copy.endpoint == endpoint and copy.status == DeliveryStatus.SUCCEEDED


def test_administrators_find_the_pages_in_their_menu(login, administrator, moderator):
    link = f'href="{reverse("webhooks:list")}"'
    assert link in login(administrator).get("/").content.decode()
    assert link not in login(moderator).get("/").content.decode()
