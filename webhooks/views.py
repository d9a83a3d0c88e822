"""The administrators' webhook pages (/webhooks/): endpoints, their delivery log, redeliver,
test ping. Thin: parse with ``webhooks.forms``, read through ``webhooks.selectors``, write
through ``webhooks.services``. Anybody but an administrator gets a 403 (after signing in)."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from config.access import signed_in_and
from config.forms import service_errors_to_form
from webhooks import permissions as perms
from webhooks import selectors, services
from webhooks.forms import EndpointForm
from webhooks.models import WebhookEndpoint

DELIVERIES_PER_PAGE = 50


# Sign in first; then 403 for anybody but administrators.
administrator_required = signed_in_and(
    lambda user: perms.can_manage_webhooks(user),
    gettext_lazy("Only administrators may manage webhooks."),
)


@administrator_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "webhooks/endpoint_list.html",
        {"endpoints": list(selectors.endpoint_list()), "nav": "webhooks"},
    )


@administrator_required
def endpoint_new(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            service_errors_to_form(exc, form)
        else:
            messages.success(request, _("Endpoint registered."))
            return redirect(endpoint.get_absolute_url())
    return render(
        request,
        "webhooks/endpoint_form.html",
        {"form": form, "endpoint": None},
        status=400 if form.is_bound else 200,
    )


@administrator_required
def endpoint_edit(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    form = EndpointForm(
        request.POST or None,
        initial={
            "url": endpoint.url,
            "description": endpoint.description,
            "events": endpoint.events,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(actor=request.user, endpoint=endpoint, **form.cleaned_data)
        except ValidationError as exc:
            service_errors_to_form(exc, form)
        else:
            messages.success(request, _("Endpoint saved."))
            return redirect(endpoint.get_absolute_url())
    return render(
        request,
        "webhooks/endpoint_form.html",
        {"form": form, "endpoint": endpoint},
        status=400 if form.is_bound else 200,
    )


@administrator_required
def endpoint_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """The endpoint and its delivery log, newest first, 50 per page."""
    endpoint = get_object_or_404(WebhookEndpoint.objects.select_related("owner"), pk=endpoint_id)
    page = Paginator(selectors.endpoint_deliveries(endpoint), DELIVERIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "webhooks/endpoint_detail.html",
        {"endpoint": endpoint, "page": page, "deliveries": page.object_list},
    )


@administrator_required
def delivery_detail(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = selectors.delivery_get(delivery_id)
    if delivery is None:
        raise Http404
    body = json.dumps(delivery.payload, indent=2, sort_keys=True, ensure_ascii=False)
    return render(
        request,
        "webhooks/delivery_detail.html",
        {"delivery": delivery, "endpoint": delivery.endpoint, "payload_text": body},
    )


def _run(request: HttpRequest, action: Callable, *, success: str) -> bool:
    try:
        action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return False
    messages.success(request, success)
    return True


@require_POST
@administrator_required
def delivery_redeliver(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = selectors.delivery_get(delivery_id)
    if delivery is None:
        raise Http404
    _run(
        request,
        lambda: services.delivery_redeliver(actor=request.user, delivery=delivery),
        success=_("Redelivery queued: it appears at the top of the log."),
    )
    return redirect(delivery.endpoint.get_absolute_url())


@require_POST
@administrator_required
def endpoint_ping(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    _run(
        request,
        lambda: services.endpoint_ping(actor=request.user, endpoint=endpoint),
        success=_("Test ping queued: its outcome appears in the log."),
    )
    return redirect(endpoint.get_absolute_url())


@require_POST
@administrator_required
def endpoint_enable(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    services.endpoint_enable(actor=request.user, endpoint=endpoint)
    messages.success(request, _("Endpoint enabled: new events are sent to it again."))
    return redirect(endpoint.get_absolute_url())


@require_POST
@administrator_required
def endpoint_disable(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    services.endpoint_disable(actor=request.user, endpoint=endpoint)
    messages.success(request, _("Endpoint disabled: no event is sent to it."))
    return redirect(endpoint.get_absolute_url())


@require_POST
@administrator_required
def endpoint_delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    services.endpoint_delete(actor=request.user, endpoint=endpoint)
    messages.success(request, _("Endpoint deleted."))
    return redirect("webhooks:list")
