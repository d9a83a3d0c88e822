"""Web pages of people and e-reputation watch: influencers, rising members, ambassadors,
watched terms, alerts, and their CSV/XLSX exports. Thin: parse, read, call a service."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import selectors as account_selectors
from config.access import signed_in_and
from config.forms import service_errors_to_form
from insights import people, watch
from insights.models import Alert, WatchedTermKind

PERIODS = (7, 30, 90, 365)
DEFAULT_PERIOD = 30


# Sign in first; then 403 for anybody who may not view the insights.
insights_required = signed_in_and(
    lambda user: people.can_view_people(user),
    gettext_lazy("Only community managers and staff may open the insights."),
)


def _back(request: HttpRequest, fallback: str) -> str:
    candidate = request.POST.get("next")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def _message_of(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("You may not do that here.")


# --- Forms -----------------------------------------------------------------------------------


class PeriodForm(forms.Form):
    days = forms.TypedChoiceField(
        label=gettext_lazy("Period"),
        coerce=int,
        choices=[
            (7, gettext_lazy("Last 7 days")),
            (30, gettext_lazy("Last 30 days")),
            (90, gettext_lazy("Last 90 days")),
            (365, gettext_lazy("Last 12 months")),
        ],
        required=False,
        empty_value=DEFAULT_PERIOD,
    )


def _period(request: HttpRequest) -> tuple[PeriodForm, int, datetime, datetime]:
    form = PeriodForm(request.GET or None)
    days = DEFAULT_PERIOD
    if form.is_bound and form.is_valid():
        days = form.cleaned_data["days"] or DEFAULT_PERIOD
    elif not form.is_bound:
        form = PeriodForm(initial={"days": DEFAULT_PERIOD})
    end = timezone.now()
    return form, days, end - timedelta(days=days), end


class AmbassadorForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Member (username)"), max_length=150)
    note = forms.CharField(
        label=gettext_lazy("Note"), max_length=people.NOTE_MAX_LENGTH, required=False
    )


class WatchedTermForm(forms.Form):
    term = forms.CharField(label=gettext_lazy("Term"), max_length=watch.TERM_MAX_LENGTH)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=WatchedTermKind.choices)


class WatchedTermEditForm(WatchedTermForm):
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False)


def _member_by_username(username: str):
    from accounts.models import User

    return User.objects.filter(username__iexact=username.strip(), is_active=True).first()


# --- Exports (CSV and XLSX with the period in the file) --------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    """Keep spreadsheet programs from running a member's text as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_response(
    *,
    fmt: str,
    filename: str,
    title: str,
    preamble: Sequence[tuple[str, object]],
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
) -> HttpResponse:
    """A CSV or XLSX download: the title and the filters (``preamble``) first, a blank row,
    then the table."""
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        book = Workbook()
        sheet = book.active
        sheet.title = title[:31]
        sheet.append([title])
        sheet["A1"].font = Font(bold=True)
        for label, value in preamble:
            sheet.append([label, _cell(value)])
        sheet.append([])
        sheet.append(list(columns))
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_cell(value) for value in row])
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow([title])
    for label, value in preamble:
        writer.writerow([label, _cell(value)])
    writer.writerow([])
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    response = HttpResponse("\ufeff" + text.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _fmt(value: str) -> str:
    if value not in ("csv", "xlsx"):
        from django.http import Http404

        raise Http404
    return value


# --- Influencers -----------------------------------------------------------------------------


@insights_required
def influencers(request: HttpRequest) -> HttpResponse:
    form, days, start, end = _period(request)
    ranking = people.influence_ranking(start=start, end=end)
    return render(
        request,
        "insights/people/influencers.html",
        {
            "nav": "insights",
            "tab": "influencers",
            "form": form,
            "days": days,
            "ranking": ranking,
            "can_manage": people.can_manage_ambassadors(request.user),
        },
    )


@insights_required
def influencers_export(request: HttpRequest, fmt: str) -> HttpResponse:
    fmt = _fmt(fmt)
    _form, days, start, end = _period(request)
    ranking = people.influence_ranking(start=start, end=end)
    columns = [
        _("Rank"),
        _("Member"),
        _("Display name"),
        _("Ambassador"),
        _("Score"),
        _("Previous score"),
        _("Trend"),
        _("Previous rank"),
        _("Replies received"),
        _("Up-votes received"),
        _("Accepted answers"),
        _("New followers"),
        _("Ideas adopted"),
    ]
    rows = [
        [
            row.rank,
            row.member.username,
            row.member.display_name,
            _("yes") if row.is_ambassador else "",
            row.score,
            row.previous_score,
            row.trend,
            row.previous_rank or "",
            *[row.figures[name] for name in people.FIGURES],
        ]
        for row in ranking.rows
    ]
    return export_response(
        fmt=fmt,
        filename=f"influencers-{start:%Y%m%d}-{end:%Y%m%d}",
        title=_("Influencers"),
        preamble=[
            (_("Period"), f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"),
            (
                _("Previous period"),
                f"{ranking.previous_start:%Y-%m-%d %H:%M} to {start:%Y-%m-%d %H:%M} UTC",
            ),
            (_("Days"), days),
        ],
        columns=columns,
        rows=rows,
    )


@insights_required
def rising(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "insights/people/rising.html",
        {
            "nav": "insights",
            "tab": "rising",
            "rows": people.rising_members(),
            "days": people.conf("RISING_DAYS"),
            "can_manage": people.can_manage_ambassadors(request.user),
        },
    )


@insights_required
def ambassadors(request: HttpRequest) -> HttpResponse:
    form = AmbassadorForm(request.POST or None)
    can_manage = people.can_manage_ambassadors(request.user)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(_("Only community managers name ambassadors."))
        if form.is_valid():
            member = _member_by_username(form.cleaned_data["username"])
            if member is None:
                form.add_error("username", _("No member has this username."))
            else:
                try:
                    people.ambassador_mark(
                        actor=request.user, member=member, note=form.cleaned_data["note"]
                    )
                except ValidationError as exc:
                    service_errors_to_form(exc, form)
                else:
                    messages.success(
                        request, _("%(name)s is now an ambassador.") % {"name": member.public_name}
                    )
                    return redirect("insights:ambassadors")
    return render(
        request,
        "insights/people/ambassadors.html",
        {
            "nav": "insights",
            "tab": "ambassadors",
            "ambassadors": list(people.ambassador_list()),
            "form": form if can_manage else None,
            "can_manage": can_manage,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@require_POST
@insights_required
def ambassador_toggle(request: HttpRequest, username: str) -> HttpResponse:
    """POST action=mark|unmark (and a note): name or un-name a member, then go back."""
    member = account_selectors.user_get_public(username=username)
    action = request.POST.get("action")
    note = request.POST.get("note", "")
    try:
        if action == "mark":
            people.ambassador_mark(actor=request.user, member=member, note=note)
            messages.success(
                request, _("%(name)s is now an ambassador.") % {"name": member.public_name}
            )
        elif action == "unmark":
            people.ambassador_unmark(actor=request.user, member=member, note=note)
            messages.success(
                request, _("%(name)s is no longer an ambassador.") % {"name": member.public_name}
            )
        else:
            messages.error(request, _("Choose to name or to un-name the member."))
    except PermissionDenied:
        raise
    except ValidationError as exc:
        messages.error(request, _message_of(exc))
    return redirect(_back(request, reverse("insights:ambassadors")))


# --- E-reputation watch ----------------------------------------------------------------------


@insights_required
def watch_list(request: HttpRequest) -> HttpResponse:
    form = WatchedTermForm(request.POST or None)
    if request.method == "POST":
        if not watch.can_manage_watched_terms(request.user):
            raise PermissionDenied(_("You may not change the watched terms."))
        if form.is_valid():
            try:
                term = watch.watched_term_create(
                    actor=request.user,
                    term=form.cleaned_data["term"],
                    kind=form.cleaned_data["kind"],
                )
            except ValidationError as exc:
                service_errors_to_form(exc, form)
            else:
                messages.success(request, _("“%(term)s” is watched.") % {"term": term.term})
                return redirect("insights:watch")
    return render(
        request,
        "insights/people/watch.html",
        {
            "nav": "insights",
            "tab": "watch",
            "terms": watch.watched_term_list(),
            "form": form,
            "open_alerts": watch.alert_list(open_only=True).count(),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _series_params(request: HttpRequest) -> tuple[str, datetime, datetime]:
    step = "hour" if request.GET.get("step") == "hour" else "day"
    now = timezone.now()
    if step == "hour":
        end = watch.hour_of(now) + timedelta(hours=1)
        return step, end - timedelta(hours=48), end
    end = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return step, end - timedelta(days=30), end


@insights_required
def watch_detail(request: HttpRequest, term_id: int) -> HttpResponse:
    term = watch.watched_term_get(pk=term_id)
    form = WatchedTermEditForm(
        request.POST or None,
        initial={"term": term.term, "kind": term.kind, "active": term.active},
    )
    if request.method == "POST":
        if not watch.can_manage_watched_terms(request.user):
            raise PermissionDenied(_("You may not change the watched terms."))
        if form.is_valid():
            try:
                watch.watched_term_update(actor=request.user, watched=term, **form.cleaned_data)
            except ValidationError as exc:
                service_errors_to_form(exc, form)
                term.refresh_from_db()
            else:
                messages.success(request, _("The term is saved."))
                return redirect("insights:watch_detail", term_id=term.pk)
    step, start, end = _series_params(request)
    series = watch.term_mentions_series(term=term, start=start, end=end, step=step)
    return render(
        request,
        "insights/people/watch_detail.html",
        {
            "nav": "insights",
            "tab": "watch",
            "term": term,
            "form": form,
            "step": step,
            "series": series,
            "total": sum(row.count for row in series),
            "alerts": list(term.alerts.order_by("-created_at")[:10]),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@insights_required
def watch_chart(request: HttpRequest, term_id: int) -> HttpResponse:
    """The mentions of a term as an SVG picture (the page shows the same figures as a
    table). Drawn by pygal on the server: no script, works offline."""
    import pygal
    from pygal.style import Style

    term = watch.watched_term_get(pk=term_id)
    step, start, end = _series_params(request)
    series = watch.term_mentions_series(term=term, start=start, end=end, step=step)
    label = "%d %H:00" if step == "hour" else "%m-%d"
    chart = pygal.Bar(
        width=800,
        height=300,
        show_legend=False,
        x_label_rotation=45,
        show_minor_x_labels=False,
        x_labels_major_every=6 if step == "hour" else 5,
        js=[],
        style=Style(background="transparent", plot_background="transparent", colors=("#1f5fbf",)),
        title=_("Mentions of “%(term)s”") % {"term": term.term},
    )
    chart.x_labels = [row.start.strftime(label) for row in series]
    chart.add(_("Mentions"), [row.count for row in series])
    response = HttpResponse(chart.render(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response


@insights_required
def watch_export(request: HttpRequest, fmt: str) -> HttpResponse:
    fmt = _fmt(fmt)
    _form, days, start, end = _period(request)
    first = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = watch.mentions_table(start=first, end=end)
    return export_response(
        fmt=fmt,
        filename=f"mentions-{first:%Y%m%d}-{end:%Y%m%d}",
        title=_("Mentions of watched terms"),
        preamble=[
            (_("Period"), f"{first:%Y-%m-%d} to {end:%Y-%m-%d %H:%M} UTC"),
            (_("Days"), days),
        ],
        columns=[_("Term"), _("Kind"), _("Day (UTC)"), _("Mentions")],
        rows=[[r["term"], r["kind"], r["day"].isoformat(), r["mentions"]] for r in rows],
    )


# --- Alerts ----------------------------------------------------------------------------------


@insights_required
def alert_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "insights/people/alerts.html",
        {"nav": "insights", "tab": "alerts", "alerts": list(watch.alert_list()[:100])},
    )


@require_POST
@insights_required
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(Alert, pk=alert_id)
    try:
        watch.alert_acknowledge(actor=request.user, alert=alert)
    except PermissionDenied:
        raise
    messages.success(request, _("Alert acknowledged."))
    return redirect(_back(request, reverse("insights:alert_list")))
