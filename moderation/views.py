"""Web pages of moderation: the review queue (/mod/), the community managers' lists (watched
words, rules, removal reasons, public logs), the administrators' coverage hours, and the
members' side (flag, appeal, their moderation history, the guidelines, a category's public
log).

Thin by design: parse with ``moderation.forms``, read through ``moderation.selectors``, write
through ``moderation.services``, render. Refusals become a 403 page or a message; invalid
input goes back onto the form. /mod/ pages answer 403 to anybody who is not a moderator; the
lists answer 403 to category moderators too, coverage hours to anybody but administrators.

The queue works from the keyboard (``moderation/static/moderation/queue.js``): every key
posts the same forms a mouse would, so the page also works without JavaScript.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from accounts.models import User
from community import selectors as community_selectors
from community.links import UrlPattern
from community.models import Category, ContentState
from config.access import signed_in_and
from moderation import coverage, selectors, services
from moderation import permissions as perms
from moderation.forms import (
    AppealForm,
    AuditFilterForm,
    BulkForm,
    CommunityRuleForm,
    CoverageDayForm,
    DecideForm,
    FlagForm,
    QueueFilterForm,
    RemovalReasonForm,
    SanctionAppealForm,
    WatchedWordForm,
    WatchedWordsTestForm,
    coverage_initial,
)
from moderation.models import (
    Action,
    Appeal,
    CommunityRule,
    FlagReason,
    FlagStatus,
    ItemKind,
    RemovalReason,
    ReviewItem,
    Sanction,
    WatchedWord,
)


def _signed_in(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


# Sign in first; then 403 for anybody who may not review the queue.
moderator_required = signed_in_and(
    lambda user: perms.can_review_queue(user),
    gettext_lazy("Only moderators may open the moderation pages."),
)


# Sign in first; then 403 for anybody who may not manage the moderation lists (community
# managers: global moderators).
lists_manager_required = signed_in_and(
    lambda user: perms.can_manage_moderation_lists(user),
    gettext_lazy("Only community managers may change the guidelines."),
)


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


def _save_or_show_errors(
    request: HttpRequest, form, save, *, success: str, then: str
) -> HttpResponse | None:
    """Run `save` (a service call); on the service's ValidationError put its messages on
    `form` and return None so the page is shown again, else flash `success` and redirect."""
    try:
        save()
    except ValidationError as exc:
        _errors_to_form(exc, form)
        return None
    messages.success(request, success)
    return redirect(then)


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
    removal_reasons = list(selectors.removal_reasons_list(user=request.user))
    # Each pattern reversed once for the page's 50 rows (community.links).
    item_url, claim_url = (
        UrlPattern("moderation:item", ints=1),
        UrlPattern("moderation:item_claim", ints=1),
    )
    for item in page.items:
        item.url, item.claim_url = item_url.fill(item.pk), claim_url.fill(item.pk)
    return render(
        request,
        "moderation/queue.html",
        {
            "page": page,
            "form": form,
            "bulk_form": BulkForm(
                item_ids=[item.pk for item in page.items], removal_reasons=removal_reasons
            ),
            "removal_reasons": removal_reasons,
            # The navigation's counts per reason, with the reasons' words (not their codes).
            "reason_counts": [
                (reason, FlagReason(reason).label, count)
                for reason, count in page.counts_by_reason.items()
            ],
            "nav": "mod",
            "query": request.GET.urlencode(),
        },
    )


@require_POST
@moderator_required
def queue_bulk(request: HttpRequest) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("items") if v.isdigit()]
    form = BulkForm(
        request.POST,
        item_ids=ids,
        removal_reasons=list(selectors.removal_reasons_list(user=request.user)),
    )
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
            removal_reason=RemovalReason.objects.filter(
                pk=form.cleaned_data["removal_reason"]
            ).first()
            if form.cleaned_data["removal_reason"]
            else None,
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


#: What each audit action code means, for the audit log page (the codes stay in the data
#: and in the filter; ``item.<action>`` and ``sanction.<kind>`` follow the models' choices).
AUDIT_ACTION_LABELS = {
    "appeal.file": gettext_lazy("Appeal filed"),
    "appeal.granted": gettext_lazy("Appeal granted"),
    "appeal.denied": gettext_lazy("Appeal denied"),
    "category.public_log": gettext_lazy("Public moderation log switched"),
    "content.hide_by_flags": gettext_lazy("Hidden by the community's flags"),
    "content.hold": gettext_lazy("Held for review before publication"),
    "content.watch_flag": gettext_lazy("Flagged by a watched word"),
    "coverage.set": gettext_lazy("Coverage hours changed"),
    "flag.create": gettext_lazy("Flag raised"),
    "flag.official_answer": gettext_lazy("Official answer requested"),
    "item.claim": gettext_lazy("Item claimed"),
    "item.release": gettext_lazy("Item released"),
    "item.recheck": gettext_lazy("Edited after being hidden: back in the queue"),
    "note.create": gettext_lazy("Moderator note added"),
    "queue.escalate": gettext_lazy("Waiting items escalated"),
    "removal_reason.create": gettext_lazy("Removal reason added"),
    "removal_reason.update": gettext_lazy("Removal reason changed"),
    "removal_reason.delete": gettext_lazy("Removal reason deleted"),
    "rule.create": gettext_lazy("Community rule added"),
    "rule.update": gettext_lazy("Community rule changed"),
    "rule.delete": gettext_lazy("Community rule deleted"),
    "sanction.lift": gettext_lazy("Sanction lifted"),
    "staff.answer": gettext_lazy("Official answer given"),
    "staff.assign": gettext_lazy("Staff request assigned"),
    "staff.close": gettext_lazy("Staff request closed"),
    "staff.escalate": gettext_lazy("Escalated to staff"),
    "warning.create": gettext_lazy("Warning given"),
    "watched_word.create": gettext_lazy("Watched word added"),
    "watched_word.update": gettext_lazy("Watched word changed"),
    "watched_word.delete": gettext_lazy("Watched word deleted"),
    "post.visible": gettext_lazy("Post shown again"),
    "post.held": gettext_lazy("Post held for review"),
    "post.hidden": gettext_lazy("Post hidden"),
    "post.removed": gettext_lazy("Post removed"),
    "post.deleted": gettext_lazy("Post deleted"),
    "topic.moved": gettext_lazy("Topic moved"),
    "topic.locked": gettext_lazy("Topic locked"),
    "topic.unlocked": gettext_lazy("Topic unlocked"),
    "topic.closed": gettext_lazy("Topic closed"),
    "topic.reopened": gettext_lazy("Topic reopened"),
    "topic.pinned": gettext_lazy("Topic pinned"),
    "topic.pinned_globally": gettext_lazy("Topic pinned everywhere"),
    "topic.unpinned": gettext_lazy("Topic unpinned"),
}
#: Who acted, as ``AuditEntry.actor_role`` records it.
AUDIT_ROLE_LABELS = {
    "system": gettext_lazy("automatic moderation"),
    "community": gettext_lazy("the community's flags"),
    "member": gettext_lazy("member"),
    "moderator": gettext_lazy("moderator"),
    "category moderator": gettext_lazy("category moderator"),
    "administrator": gettext_lazy("administrator"),
    "brand staff": gettext_lazy("brand staff"),
}
#: The names of the before/after values, and the choices their codes come from.
_AUDIT_FIELD_LABELS = {
    "state": gettext_lazy("state"),
    "kind": gettext_lazy("kind"),
    "score": gettext_lazy("score"),
    "weight": gettext_lazy("weight"),
    "appeal": gettext_lazy("appeal"),
    "sanction": gettext_lazy("sanction"),
    "ends_at": gettext_lazy("ends"),
    "lifted": gettext_lazy("lifted"),
    "warning": gettext_lazy("warning"),
    "level": gettext_lazy("level"),
    "pattern": gettext_lazy("pattern"),
    "regex": gettext_lazy("regular expression"),
    "action": gettext_lazy("action"),
    "number": gettext_lazy("number"),
    "title": gettext_lazy("title"),
    "active": gettext_lazy("active"),
    "public_log": gettext_lazy("public log"),
    "team": gettext_lazy("team"),
    "category": gettext_lazy("category"),
    "change": gettext_lazy("change"),
    "windows": gettext_lazy("coverage hours"),
    "staff_request": gettext_lazy("staff request"),
    "item_ids": gettext_lazy("items"),
    "flags": gettext_lazy("flags"),
    "flaggers": gettext_lazy("flaggers"),
    "note": gettext_lazy("note"),
    "hidden_by_flags": gettext_lazy("hidden by flags"),
}


def audit_action_label(code: str) -> str:
    """The words for an audit action code; an unknown code is shown as it is."""
    if code in AUDIT_ACTION_LABELS:
        return str(AUDIT_ACTION_LABELS[code])
    prefix, _dot, rest = code.partition(".")
    if prefix == "item" and rest in Action.values:
        return str(Action(rest).label)
    if prefix == "sanction" and rest in Sanction.Kind.values:
        return str(Sanction.Kind(rest).label)
    return code


#: Which choices a before/after value's code comes from, by key (other values are shown as
#: they are: a watched word's pattern is not a code, even when it reads like one).
_AUDIT_VALUE_CHOICES = {
    "state": (ContentState,),
    "kind": (ItemKind, Sanction.Kind),
    "sanction": (Sanction.Kind,),
    "appeal": (Appeal.Status,),
    "action": (WatchedWord.WatchedAction,),
    "flags": (FlagStatus,),
}


def _audit_value(key: str, value) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(_audit_value(key, v) for v in value)
    if isinstance(value, str):
        for choices in _AUDIT_VALUE_CHOICES.get(key, ()):
            if value in choices.values:
                return str(choices(value).label)
        if key.endswith("_at"):
            with contextlib.suppress(ValueError):
                moment = dt.datetime.fromisoformat(value)
                return date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    return str(value)


def audit_change_summary(data: dict) -> str:
    """A before/after snapshot in words: "state: Hidden · score: 6.0" (codes of the models'
    choices become their labels)."""
    if not isinstance(data, dict):
        return str(data)
    return " · ".join(
        f"{_AUDIT_FIELD_LABELS.get(key, key)}: {_audit_value(key, value)}"
        for key, value in data.items()
    )


@_signed_in
def audit(request: HttpRequest) -> HttpResponse:
    if not perms.can_view_audit(request.user):
        raise PermissionDenied(_("Only administrators may read the audit log."))
    form = AuditFilterForm(request.GET or None)
    filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    entries = selectors.audit_list(user=request.user, filters=filters)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.action_label = audit_action_label(entry.action)
        entry.role_label = str(AUDIT_ROLE_LABELS.get(entry.actor_role, entry.actor_role))
        # A flag's reason is stored as its code ("spam"): shown with the reason's words.
        entry.reason_text = (
            str(FlagReason(entry.reason).label)
            if entry.action.startswith("flag.") and entry.reason in FlagReason.values
            else entry.reason
        )
        entry.before_text = audit_change_summary(entry.before)
        entry.after_text = audit_change_summary(entry.after)
    return render(request, "moderation/audit.html", {"form": form, "page": page, "nav": "mod"})


# --- Community managers' lists ----------------------------------------------------------------


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _watched_words_page(
    request: HttpRequest, *, form=None, test_form=None, test=None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "moderation/watched_words.html",
        {
            "words": selectors.watched_words_list(user=request.user),
            "form": form or WatchedWordForm(),
            "test_form": test_form or WatchedWordsTestForm(),
            "test": _test_result(test),
            "nav": "mod",
        },
        status=status,
    )


@lists_manager_required
def watched_words(request: HttpRequest) -> HttpResponse:
    """The watched words, a form to add one and the "test this text" box."""
    form = WatchedWordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = _save_or_show_errors(
            request,
            form,
            lambda: services.watched_word_create(actor=request.user, **form.cleaned_data),
            success=_("Watched word added."),
            then="moderation:watched_words",
        )
        if saved is not None:
            return saved
    return _watched_words_page(request, form=form, status=400 if form.is_bound else 200)


@lists_manager_required
def watched_word_edit(request: HttpRequest, word_id: int) -> HttpResponse:
    word = get_object_or_404(WatchedWord, pk=word_id)
    form = WatchedWordForm(
        request.POST or None,
        initial=model_to_dict(
            word, fields=["pattern", "is_regex", "action", "replacement", "case_sensitive"]
        ),
    )
    return _entry_edit_page(
        request,
        form=form,
        save=lambda data: services.watched_word_update(actor=request.user, word=word, **data),
        success=_("Watched word saved."),
        then="moderation:watched_words",
        title=_("Edit the watched word “%(word)s”") % {"word": word.pattern},
        delete_url=reverse("moderation:watched_word_delete", args=[word.pk]),
        delete_confirm=_("Stop watching “%(word)s”?") % {"word": word.pattern},
    )


@require_POST
@lists_manager_required
def watched_word_delete(request: HttpRequest, word_id: int) -> HttpResponse:
    word = get_object_or_404(WatchedWord, pk=word_id)
    services.watched_word_delete(actor=request.user, word=word)
    messages.success(request, _("“%(word)s” is no longer watched.") % {"word": word.pattern})
    return redirect("moderation:watched_words")


@lists_manager_required
def watched_words_test(request: HttpRequest) -> HttpResponse:
    """What the saved words — or a candidate pattern — would do to a text. Answers the
    result fragment to htmx, the whole page otherwise. Nothing is saved."""
    form = WatchedWordsTestForm(request.POST if request.method == "POST" else None)
    test = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            test = services.watched_words_test(
                actor=request.user,
                text=data["text"],
                pattern=data["pattern"] or None,
                is_regex=data["is_regex"],
            )
        except ValidationError as exc:
            _errors_to_form(exc, form)
    status = 400 if form.errors else 200
    if _is_htmx(request):
        # Only the result region: the form stays in the page as the member typed it.
        return render(
            request,
            "moderation/_watched_words_test_result.html",
            {"errors": form.errors, "test": _test_result(test)},
            status=status,
        )
    return _watched_words_page(request, test_form=form, test=test, status=status)


_TEST_VERDICTS = {
    WatchedWord.WatchedAction.BLOCK: gettext_lazy("A post with this text would be refused."),
    WatchedWord.WatchedAction.HOLD: gettext_lazy("A post with this text would be held for review."),
    WatchedWord.WatchedAction.FLAG: gettext_lazy(
        "A post with this text would be published and queued for review."
    ),
    WatchedWord.WatchedAction.REPLACE: gettext_lazy(
        "A post with this text would be published with the words replaced."
    ),
}


def _test_result(test: services.WatchedWordsTest | None) -> dict | None:
    """The test box's result for the template: the verdict, each match with its action's
    label, and the text after replacements."""
    if test is None:
        return None
    labels = dict(WatchedWord.WatchedAction.choices)
    return {
        "verdict": _TEST_VERDICTS.get(test.action, _("No watched word matches this text.")),
        "matches": [
            {"text": match.text, "action": labels.get(match.action, match.action)}
            for match in test.matches
        ],
        "replaced_text": test.replaced_text,
        "changed": bool(test.matches),
    }


def _edit_page(
    request: HttpRequest, *, form, title: str, back: str, delete_url: str, delete_confirm: str
) -> HttpResponse:
    return render(
        request,
        "moderation/manage_edit.html",
        {
            "form": form,
            "title": title,
            "back": back,
            "delete_url": delete_url,
            "delete_confirm": delete_confirm,
            "nav": "mod",
        },
        status=400 if form.is_bound else 200,
    )


def _entry_edit_page(
    request: HttpRequest,
    *,
    form,
    save: Callable[[dict], object],
    success: str,
    then: str,
    title: str,
    delete_url: str,
    delete_confirm: str,
) -> HttpResponse:
    """The edit page of one entry of a managed list: on a valid POST, ``save(cleaned_data)``
    (a service call) then back to the list ``then``; else the form, with its errors."""
    if request.method == "POST" and form.is_valid():
        saved = _save_or_show_errors(
            request, form, lambda: save(form.cleaned_data), success=success, then=then
        )
        if saved is not None:
            return saved
    return _edit_page(
        request,
        form=form,
        title=title,
        back=reverse(then),
        delete_url=delete_url,
        delete_confirm=delete_confirm,
    )


@lists_manager_required
def rules(request: HttpRequest) -> HttpResponse:
    """The numbered community rules (shown on /guidelines/ in their order) and a form to add
    one, numbered after the last by default."""
    all_rules = list(selectors.community_rules_list(active_only=False))
    next_number = max((rule.number for rule in all_rules), default=0) + 1
    form = CommunityRuleForm(request.POST or None, initial={"number": next_number})
    del form.fields["active"]  # a new rule is in force; retire it from its edit page
    if request.method == "POST" and form.is_valid():
        saved = _save_or_show_errors(
            request,
            form,
            lambda: services.community_rule_create(actor=request.user, **form.cleaned_data),
            success=_("Rule added."),
            then="moderation:rules",
        )
        if saved is not None:
            return saved
    return render(
        request,
        "moderation/rules.html",
        {"rules": all_rules, "form": form, "nav": "mod"},
        status=400 if form.is_bound else 200,
    )


@lists_manager_required
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(CommunityRule, pk=rule_id)
    form = CommunityRuleForm(
        request.POST or None,
        initial=model_to_dict(rule, fields=["number", "title", "description", "active"]),
    )
    return _entry_edit_page(
        request,
        form=form,
        save=lambda data: services.community_rule_update(actor=request.user, rule=rule, **data),
        success=_("Rule saved."),
        then="moderation:rules",
        title=_("Edit rule %(number)d") % {"number": rule.number},
        delete_url=reverse("moderation:rule_delete", args=[rule.pk]),
        delete_confirm=_(
            "Delete rule %(number)d? Decisions that cited it keep its number and title."
        )
        % {"number": rule.number},
    )


@require_POST
@lists_manager_required
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(CommunityRule, pk=rule_id)
    services.community_rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("Rule %(number)d deleted.") % {"number": rule.number})
    return redirect("moderation:rules")


def _rule_of(rule_id: int | None) -> CommunityRule | None:
    return CommunityRule.objects.filter(pk=rule_id).first() if rule_id else None


@lists_manager_required
def removal_reasons(request: HttpRequest) -> HttpResponse:
    """The ready-made reasons moderators send with a removal, in their order: the first is
    the queue's default for the "r" key."""
    rules_in_force = list(selectors.community_rules_list())
    reasons = list(selectors.removal_reasons_list(user=request.user, active_only=False))
    form = RemovalReasonForm(
        request.POST or None,
        rules=rules_in_force,
        initial={"position": max((r.position for r in reasons), default=-10) + 10},
    )
    del form.fields["active"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = _save_or_show_errors(
            request,
            form,
            lambda: services.removal_reason_create(
                actor=request.user,
                title=data["title"],
                message=data["message"],
                rule=_rule_of(data["rule"]),
                position=data["position"],
            ),
            success=_("Removal reason added."),
            then="moderation:removal_reasons",
        )
        if saved is not None:
            return saved
    return render(
        request,
        "moderation/removal_reasons.html",
        {"reasons": reasons, "form": form, "nav": "mod"},
        status=400 if form.is_bound else 200,
    )


@lists_manager_required
def removal_reason_edit(request: HttpRequest, reason_id: int) -> HttpResponse:
    reason = get_object_or_404(RemovalReason, pk=reason_id)
    form = RemovalReasonForm(
        request.POST or None,
        rules=list(selectors.community_rules_list()),
        initial=model_to_dict(reason, fields=["title", "message", "rule", "position", "active"]),
    )
    return _entry_edit_page(
        request,
        form=form,
        save=lambda data: services.removal_reason_update(
            actor=request.user,
            reason=reason,
            title=data["title"],
            message=data["message"],
            rule=_rule_of(data["rule"]),
            position=data["position"],
            active=data["active"],
        ),
        success=_("Removal reason saved."),
        then="moderation:removal_reasons",
        title=_("Edit the removal reason “%(title)s”") % {"title": reason.title},
        delete_url=reverse("moderation:removal_reason_delete", args=[reason.pk]),
        delete_confirm=_("Delete the removal reason “%(title)s”?") % {"title": reason.title},
    )


@require_POST
@lists_manager_required
def removal_reason_delete(request: HttpRequest, reason_id: int) -> HttpResponse:
    reason = get_object_or_404(RemovalReason, pk=reason_id)
    services.removal_reason_delete(actor=request.user, reason=reason)
    messages.success(request, _("Removal reason “%(title)s” deleted.") % {"title": reason.title})
    return redirect("moderation:removal_reasons")


@lists_manager_required
def public_logs(request: HttpRequest) -> HttpResponse:
    """One switch per category: whether its moderation log is public (attributed to the
    team, never to a person, never showing removed content)."""
    if request.method == "POST":
        raw = request.POST.get("category", "")
        category = get_object_or_404(Category, pk=int(raw)) if raw.isdigit() else None
        if category is None:
            messages.error(request, _("Choose a category."))
            return redirect("moderation:public_logs")
        enabled = request.POST.get("enabled") == "1"
        services.category_public_log_set(actor=request.user, category=category, enabled=enabled)
        if enabled:
            messages.success(
                request,
                _("The moderation log of “%(name)s” is now public.") % {"name": category.name},
            )
        else:
            messages.success(
                request,
                _("The moderation log of “%(name)s” is no longer public.")
                % {"name": category.name},
            )
        return redirect("moderation:public_logs")
    return render(
        request,
        "moderation/public_logs.html",
        {"categories": selectors.category_public_log_switches(user=request.user), "nav": "mod"},
    )


# --- Coverage hours (administrators) ----------------------------------------------------------


@_signed_in
def coverage_hours(request: HttpRequest) -> HttpResponse:
    """One form per weekday: from, to (an end before the start runs past midnight), or all
    day; both empty means nobody on duty. Saved together, replacing every window."""
    if not perms.can_set_coverage(request.user):
        raise PermissionDenied(_("Only administrators may set coverage hours."))
    schedule = selectors.coverage_schedule(user=request.user)
    data = request.POST if request.method == "POST" else None
    day_forms = []
    for weekday in range(7):
        spans = schedule.spans[weekday]
        form = CoverageDayForm(
            data,
            prefix=f"day{weekday}",
            weekday=weekday,
            day_name=str(WEEKDAYS[weekday]),
            initial=coverage_initial(spans[0] if spans else None),
        )
        form.other_spans = spans[1:]
        day_forms.append(form)
    if data is not None and all(form.is_valid() for form in day_forms):
        spans = [form.cleaned_data["span"] for form in day_forms if form.cleaned_data["span"]]
        try:
            services.coverage_hours_set(
                actor=request.user, schedule=coverage.windows_from_spans(spans)
            )
        except ValidationError as exc:
            messages.error(request, _message_of(exc))
        else:
            messages.success(request, _("Coverage hours saved."))
            return redirect("moderation:coverage")
    return render(
        request,
        "moderation/coverage.html",
        {
            "day_forms": day_forms,
            "schedule": schedule,
            "time_zone": settings.TIME_ZONE,
            "nav": "mod",
        },
        status=400 if data is not None else 200,
    )


# --- Members' side --------------------------------------------------------------------------


def _flag_page(
    request: HttpRequest, *, target: dict, title: str, back: str, refusal: str | None = None
) -> HttpResponse:
    """The flag form; a member who may not flag (trust level, silence, their own content,
    no flag left today) reads why instead. The service decides in the end."""
    refusal = refusal or perms.flag_refusal_reason(request.user)
    flags_left = None if refusal else selectors.flags_left_today(user=request.user)
    if flags_left == 0:
        refusal = _(
            "You have used all your flags for today. Thank you for helping: moderators will "
            "review your flags, and you can flag again tomorrow."
        )
    if refusal and request.method != "POST":
        return render(
            request,
            "moderation/flag.html",
            {"form": None, "title": title, "back": back, "refusal": refusal},
        )
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
        {"form": form, "title": title, "back": back, "flags_left": flags_left},
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
        refusal=_("You cannot flag your own post.") if post.author_id == request.user.pk else None,
    )


@_signed_in
def topic_flag(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = community_selectors.topic_get_for_user(user=request.user, topic_id=topic_id)
    return _flag_page(
        request,
        target={"topic": topic},
        title=_("Flag the topic “%(title)s”") % {"title": topic.title},
        back=topic.get_absolute_url(),
        refusal=_("You cannot flag your own topic.")
        if topic.author_id == request.user.pk
        else None,
    )


@_signed_in
def member_flag(request: HttpRequest, username: str) -> HttpResponse:
    member = get_object_or_404(User, username=username, is_active=True)
    return _flag_page(
        request,
        target={"member": member},
        title=_("Flag the profile of %(name)s") % {"name": member.public_name},
        back=member.get_absolute_url(),
        refusal=_("You cannot flag your own profile.") if member.pk == request.user.pk else None,
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
