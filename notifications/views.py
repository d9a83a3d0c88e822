"""Web views of notifications: the page, the bell (htmx), marking read, e-mail preferences and
unsubscribing from an e-mail's link. Thin: parse, call a selector or a service, render."""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from notifications import selectors, services
from notifications.forms import DigestScheduleForm, EmailPreferencesForm, MuteForm

# htmx stops polling when it receives this status (the session ended: no bell to refresh).
HTMX_STOP_POLLING = 286
# Sent with every change of read state so the bell refreshes at once, not in 60 s.
CHANGED_EVENT = "notifications-changed"


def member_required(view: Callable) -> Callable:
    """Sign-in required; an htmx request is sent to the sign-in page as a whole page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        back = request.get_full_path() if request.method == "GET" else reverse("notifications:list")
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = f"{reverse('account_login')}?{urlencode({'next': back})}"
            return response
        return redirect_to_login(back)

    return wrapper


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), 1000))
    except (TypeError, ValueError):
        return 1


def _changed(response: HttpResponse) -> HttpResponse:
    response["HX-Trigger"] = CHANGED_EVENT
    return response


# --- The page and the bell ------------------------------------------------------------------------


@require_GET
@member_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = selectors.notification_groups_page(user=request.user, page_number=_page_number(request))
    context = {"page": page, "groups": page.object_list}
    return render(request, "notifications/list.html", context)


@require_GET
@never_cache
def bell(request: HttpRequest) -> HttpResponse:
    """The bell fragment, polled by htmx every 60 s (and refreshed on read-state changes)."""
    if not request.user.is_authenticated:
        return HttpResponse(status=HTMX_STOP_POLLING)
    return render(request, "notifications/_bell.html")


@require_GET
@member_required
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Follow a notification: mark it (and its group) read, go to what it is about. Marking
    read on GET is deliberate: it is what every e-mail link does, and it can only mark the
    signed-in member's own notification."""
    notification = selectors.notification_get_for_user(
        user=request.user, notification_id=notification_id
    )
    if notification is None:
        messages.warning(request, _("This notification no longer exists."))
        return redirect("notifications:list")
    services.notification_mark_read(actor=request.user, notification=notification)
    return HttpResponseRedirect(_target_url(notification))


def _target_url(notification) -> str:
    url = (notification.data or {}).get("url", "")
    if url and url.startswith("/") and not url.startswith("//"):
        return url  # a staff queue, for instance
    if notification.post_id and notification.post is not None:
        return notification.post.get_absolute_url()
    if notification.topic_id and notification.topic is not None:
        return notification.topic.get_absolute_url()
    return reverse("notifications:list")


@require_POST
@member_required
def notification_mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = selectors.notification_get_for_user(
        user=request.user, notification_id=notification_id
    )
    if notification is None:
        if request.htmx:
            return _changed(HttpResponse(""))
        messages.warning(request, _("This notification no longer exists."))
        return redirect("notifications:list")
    services.notification_mark_read(actor=request.user, notification=notification)
    if request.htmx:
        group = selectors.notification_group_get(user=request.user, notification=notification)
        return _changed(render(request, "notifications/_notification_row.html", {"group": group}))
    return redirect("notifications:list")


@require_POST
@member_required
def notification_mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(actor=request.user)
    if request.htmx:
        page = selectors.notification_groups_page(user=request.user, page_number=1)
        return _changed(
            render(request, "notifications/_list.html", {"page": page, "groups": page.object_list})
        )
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)d notification marked read.", "%(count)d notifications marked read.", count
            )
            % {"count": count},
        )
    return redirect("notifications:list")


# --- Preferences ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@member_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    schedule = selectors.digest_schedule_for(user=user)
    kinds_form = EmailPreferencesForm(
        request.POST if request.method == "POST" else None,
        preferences=selectors.email_preferences_for(user=user),
        prefix="email",
    )
    digest_form = DigestScheduleForm(
        request.POST if request.method == "POST" else None,
        initial={
            "daily": schedule.daily,
            "weekly": schedule.weekly,
            "hour": schedule.hour,
            "weekday": schedule.weekday,
        },
        prefix="digest",
    )
    if request.method == "POST" and kinds_form.is_valid() and digest_form.is_valid():
        try:
            services.email_preferences_update(actor=user, choices=kinds_form.choices())
            services.digest_schedule_update(actor=user, **digest_form.cleaned_data)
        except ValidationError as exc:
            kinds_form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Your e-mail preferences are saved."))
            return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {
            "kinds_form": kinds_form,
            "digest_form": digest_form,
            "mute_form": MuteForm(),
            "muted": selectors.muted_members(user=user),
            "timezone": user.timezone,
        },
    )


@require_POST
@member_required
def member_mute(request: HttpRequest) -> HttpResponse:
    form = MuteForm(request.POST)
    if form.is_valid():
        username = form.cleaned_data["username"].strip().lstrip("@")
        member = User.objects.filter(username__iexact=username, is_active=True).first()
        if member is None:
            messages.error(request, _("No member is called “%(name)s”.") % {"name": username})
        else:
            try:
                services.member_mute(actor=request.user, member=member)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    _("You will not be notified of what %(name)s does.")
                    % {"name": member.username},
                )
    else:
        messages.error(request, _("Give the name of the member to mute."))
    return redirect("notifications:preferences")


@require_POST
@member_required
def member_unmute(request: HttpRequest, user_id: int) -> HttpResponse:
    member = User.objects.filter(pk=user_id).first()
    if member is not None:
        services.member_unmute(actor=request.user, member=member)
        messages.success(request, _("%(name)s is no longer muted.") % {"name": member.username})
    return redirect("notifications:preferences")


# --- Unsubscribe (from an e-mail, no login) -------------------------------------------------------


# csrf_exempt, for this view only: RFC 8058 one-click unsubscribe is a POST sent by the
# member's mail provider, without cookies or a CSRF token. The protection is the signed, dated
# token in the URL — only the recipient of the mail has it, and all it can do is stop e-mails.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: say what the link stops and ask to confirm (mail scanners follow GET links, so GET
    changes nothing). POST (our button, or a mail client's one-click): do it."""
    try:
        if request.method == "POST":
            outcome = services.unsubscribe(token=token)
            return render(
                request, "notifications/unsubscribe.html", {"done": True, "request_": outcome}
            )
        outcome = services.unsubscribe_check(token=token)
    except services.UnsubscribeError as exc:
        return render(
            request,
            "notifications/unsubscribe.html",
            {"error": str(exc), "expired": exc.expired},
            status=400,
        )
    return render(request, "notifications/unsubscribe.html", {"request_": outcome, "token": token})
