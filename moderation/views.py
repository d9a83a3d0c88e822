"""Web pages of moderation: the review queue (/mod/), and the members' side (flag, appeal,
their moderation history, the guidelines, a category's public log).

Thin by design: parse with ``moderation.forms``, read through ``moderation.selectors``, write
through ``moderation.services``, render. Refusals become a 403 page or a message; invalid
input goes back onto the form. /mod/ pages answer 403 to anybody who is not a moderator.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.models import User
from community import selectors as community_selectors
from community.models import Category
from moderation import permissions as perms
from moderation import selectors, services
from moderation.forms import (
    AppealForm,
    AuditFilterForm,
    BulkForm,
    DecideForm,
    FlagForm,
    QueueFilterForm,
    SanctionAppealForm,
)
from moderation.models import Appeal, CommunityRule, RemovalReason, ReviewItem


def _signed_in(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def moderator_required(view: Callable) -> Callable:
    """Sign in first; then 403 for anybody who may not review the queue."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not perms.can_review_queue(request.user):
            raise PermissionDenied(_("Only moderators may open the moderation pages."))
        return view(request, *args, **kwargs)

    return wrapper


def _back(request: HttpRequest, fallback: str) -> str:
    candidate = request.POST.get("next") or request.META.get("HTTP_REFERER")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def _message_of(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("You may not do that here.")


def _errors_to_form(exc: ValidationError, form) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _moderated_categories(user) -> list[Category]:
    categories = list(Category.objects.order_by("position", "name"))
    if perms.is_global_moderator(user):
        return categories
    from community.permissions import moderated_category_ids

    allowed = moderated_category_ids(user)
    return [c for c in categories if c.pk in allowed]


# --- The review queue -------------------------------------------------------------------------


@moderator_required
def queue(request: HttpRequest) -> HttpResponse:
    categories = _moderated_categories(request.user)
    form = QueueFilterForm(request.GET or None, categories=categories)
    page = selectors.review_queue(
        user=request.user, filters=form.filters() if form.is_bound else None
    )
    return render(
        request,
        "moderation/queue.html",
        {
            "page": page,
            "form": form,
            "bulk_form": BulkForm(item_ids=[item.pk for item in page.items]),
            "nav": "mod",
            "query": request.GET.urlencode(),
        },
    )


@require_POST
@moderator_required
def queue_bulk(request: HttpRequest) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("items") if v.isdigit()]
    form = BulkForm(request.POST, item_ids=ids)
    back = _back(request, reverse("moderation:queue"))
    if not form.is_valid():
        messages.error(request, _("Select items and an action."))
        return redirect(back)
    items = list(ReviewItem.objects.filter(pk__in=form.cleaned_data["items"]).order_by("pk"))
    try:
        result = services.items_decide_bulk(
            actor=request.user,
            items=items,
            action=form.cleaned_data["action"],
            reason=form.cleaned_data["reason"],
        )
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, _message_of(exc))
        return redirect(back)
    if result.decided:
        messages.success(
            request,
            ngettext("%(count)d item decided.", "%(count)d items decided.", len(result.decided))
            % {"count": len(result.decided)},
        )
    for item_id, why in result.refused.items():
        messages.warning(request, _("Item %(id)d: %(why)s") % {"id": item_id, "why": why})
    return redirect(back)


def _decide_form(data=None):
    return DecideForm(
        data,
        removal_reasons=list(RemovalReason.objects.filter(active=True)),
        rules=list(CommunityRule.objects.filter(active=True)),
        categories=list(Category.objects.order_by("position", "name")),
    )


@moderator_required
def item_detail(request: HttpRequest, item_id: int, form: DecideForm | None = None) -> HttpResponse:
    detail = selectors.item_get_for_moderator(user=request.user, item_id=item_id)
    return render(
        request,
        "moderation/item.html",
        {
            "detail": detail,
            "item": detail.item,
            "form": form or _decide_form(),
            "nav": "mod",
        },
        status=400 if form is not None else 200,
    )


@require_POST
@moderator_required
def item_claim(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(ReviewItem, pk=item_id)
    try:
        services.item_claim(actor=request.user, item=item)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, _message_of(exc))
    return redirect(_back(request, reverse("moderation:item", args=[item_id])))


@require_POST
@moderator_required
def item_release(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(ReviewItem, pk=item_id)
    try:
        services.item_release(actor=request.user, item=item)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, _message_of(exc))
    return redirect(_back(request, reverse("moderation:item", args=[item_id])))


@require_POST
@moderator_required
def item_decide(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(ReviewItem, pk=item_id)
    form = _decide_form(request.POST)
    if not form.is_valid():
        return item_detail(request, item_id, form=form)
    data = form.cleaned_data
    try:
        services.item_decide(
            actor=request.user,
            item=item,
            action=data["action"],
            reason=data["reason"],
            rule=CommunityRule.objects.filter(pk=data["rule"]).first() if data["rule"] else None,
            removal_reason=RemovalReason.objects.filter(pk=data["removal_reason"]).first()
            if data["removal_reason"]
            else None,
            days=data["days"],
            permanent=data["permanent"],
            warning_level=data["warning_level"],
            body=data["body"] or None,
            note=data["note"],
            category=Category.objects.filter(pk=data["category"]).first()
            if data["category"]
            else None,
        )
    except PermissionDenied as exc:
        messages.error(request, _message_of(exc))
        return redirect("moderation:item", item_id=item_id)
    except ValidationError as exc:
        _errors_to_form(exc, form)
        return item_detail(request, item_id, form=form)
    messages.success(request, _("Decision recorded."))
    return redirect("moderation:queue")


@require_POST
@moderator_required
def appeal_decide(request: HttpRequest, appeal_id: int) -> HttpResponse:
    appeal = get_object_or_404(Appeal, pk=appeal_id)
    form = SanctionAppealForm(request.POST)
    back = reverse("moderation:item", args=[appeal.item_id])
    if not form.is_valid():
        messages.error(request, _("Choose to grant or deny the appeal."))
        return redirect(back)
    try:
        services.appeal_decide(
            actor=request.user,
            appeal=appeal,
            grant=form.cleaned_data["grant"],
            reason=form.cleaned_data["reason"],
        )
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, _message_of(exc))
        return redirect(back)
    messages.success(request, _("Appeal decided."))
    return redirect("moderation:queue")


@require_POST
@moderator_required
def member_note(request: HttpRequest, username: str) -> HttpResponse:
    member = get_object_or_404(User, username=username)
    try:
        services.moderator_note_create(
            actor=request.user, member=member, body=request.POST.get("body", "")
        )
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, _message_of(exc))
    else:
        messages.success(request, _("Note saved."))
    return redirect(member.get_absolute_url())


@_signed_in
def staff_queue(request: HttpRequest) -> HttpResponse:
    """Brand staff and moderators (the selector refuses anybody else)."""
    requests = selectors.staff_queue(user=request.user)
    return render(
        request, "moderation/staff_queue.html", {"requests": requests[:100], "nav": "mod"}
    )


@_signed_in
def audit(request: HttpRequest) -> HttpResponse:
    if not perms.can_view_audit(request.user):
        raise PermissionDenied(_("Only administrators may read the audit log."))
    form = AuditFilterForm(request.GET or None)
    filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    entries = selectors.audit_list(user=request.user, filters=filters)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "moderation/audit.html", {"form": form, "page": page, "nav": "mod"})


# --- Members' side --------------------------------------------------------------------------


def _flag_page(request: HttpRequest, *, target: dict, title: str, back: str) -> HttpResponse:
    form = FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.flag_create(
                actor=request.user,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                **target,
            )
        except PermissionDenied as exc:
            messages.error(request, _message_of(exc))
            return redirect(back)
        except ValidationError as exc:
            _errors_to_form(exc, form)
        else:
            messages.success(
                request,
                _("Thank you: your flag was received. You will hear what the moderators decide."),
            )
            return redirect(back)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "moderation/flag.html",
        {"form": form, "title": title, "back": back},
        status=status,
    )


@_signed_in
def post_flag(request: HttpRequest, post_id: int) -> HttpResponse:
    post = community_selectors.post_get_for_user(user=request.user, post_id=post_id)
    return _flag_page(
        request,
        target={"post": post},
        title=_("Flag a post in “%(title)s”") % {"title": post.topic.title},
        back=post.get_absolute_url(),
    )


@_signed_in
def topic_flag(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = community_selectors.topic_get_for_user(user=request.user, topic_id=topic_id)
    return _flag_page(
        request,
        target={"topic": topic},
        title=_("Flag the topic “%(title)s”") % {"title": topic.title},
        back=topic.get_absolute_url(),
    )


@_signed_in
def member_flag(request: HttpRequest, username: str) -> HttpResponse:
    member = get_object_or_404(User, username=username, is_active=True)
    return _flag_page(
        request,
        target={"member": member},
        title=_("Flag the profile of %(name)s") % {"name": member.public_name},
        back=member.get_absolute_url(),
    )


@_signed_in
def post_appeal(request: HttpRequest, post_id: int) -> HttpResponse:
    post = community_selectors.post_get_for_user(user=request.user, post_id=post_id)
    form = AppealForm(request.POST or None)
    back = reverse("moderation_public:my_moderation")
    if request.method == "POST" and form.is_valid():
        try:
            services.appeal_file(
                actor=request.user, post=post, message=form.cleaned_data["message"]
            )
        except PermissionDenied as exc:
            messages.error(request, _message_of(exc))
            return redirect(back)
        except ValidationError as exc:
            _errors_to_form(exc, form)
        else:
            messages.success(request, _("Your appeal was sent. A moderator will review it."))
            return redirect(back)
    return render(
        request,
        "moderation/appeal.html",
        {"form": form, "post": post},
        status=400 if request.method == "POST" else 200,
    )


@_signed_in
def my_moderation(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "moderation/my_moderation.html",
        {
            "history": selectors.moderation_history_for_member(user=request.user, limit=50),
            "flags": selectors.flags_list_for_member(user=request.user)[:50],
            "sanctions": selectors.member_active_sanctions(user=request.user),
        },
    )


def guidelines(request: HttpRequest) -> HttpResponse:
    return render(
        request, "moderation/guidelines.html", {"rules": selectors.community_rules_list()}
    )


def public_log(request: HttpRequest, slug: str) -> HttpResponse:
    category = community_selectors.category_get(slug=slug)
    entries = selectors.public_moderation_log(category=category)
    return render(request, "moderation/public_log.html", {"category": category, "entries": entries})
