"""The KPI dashboard, its charts, its exports and the weekly report's recipients.

Everything here is for moderators, brand staff and administrators
(``accounts.permissions.can_view_insights``): anonymous visitors are sent to sign in, members
get a 403. The filters are GET parameters shared by the page, the charts and the exports.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import can_view_insights
from config.access import signed_in_and
from insights import charts, exports, selectors, services
from insights.forms_dashboard import PeriodForm, RecipientForm
from insights.models import ReportSubscription

#: The chart image's own policy: pygal's SVG carries its <style>; nothing else is allowed.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"


# Sign in first; then 403 for anybody who may not see the community's figures.
insights_required = signed_in_and(
    lambda user: can_view_insights(user),
    gettext_lazy("Only moderators and staff may see the community's figures."),
)


def _period(request: HttpRequest) -> tuple[PeriodForm, selectors.Period]:
    form = PeriodForm(request.GET or None)
    return form, form.period()


@insights_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form, period = _period(request)
    data = selectors.dashboard(period)
    query = request.GET.urlencode()
    without_category = request.GET.copy()
    without_category.pop("category", None)
    chart_blocks = [
        {
            "chart": chart,
            "table": charts.chart_table(chart, data.series, period),
            "url": reverse("insights:chart", kwargs={"name": chart.key}) + f"?{query}",
        }
        for chart in charts.CHARTS
    ]
    return render(
        request,
        "insights/dashboard.html",
        {
            "nav": "insights",
            "tab": "dashboard",
            "form": form,
            "period": period,
            "data": data,
            "kpis": data.kpis,
            "charts": chart_blocks,
            "categories": [
                {
                    "name": row["category__name"],
                    "slug": row["category__slug"],
                    "values": [row[key] or 0 for key in exports.CATEGORY_COLUMNS],
                }
                for row in selectors.category_breakdown(period)
            ],
            "category_columns": [selectors.FIGURES_BY_KEY[key] for key in exports.CATEGORY_COLUMNS],
            "teams": [
                {**team, "median_hours": selectors.hours(team["median"])}
                for team in selectors.routed_questions_by_team(period)
            ],
            "query": query,
            "query_without_category": without_category.urlencode(),
            "export_tables": [
                ("kpis", _("Key figures")),
                ("series", _("Figures over time")),
                ("categories", _("By category")),
                ("teams", _("Routed questions by team")),
            ],
        },
    )


@insights_required
def chart(request: HttpRequest, name: str) -> HttpResponse:
    spec = charts.CHARTS_BY_KEY.get(name)
    if spec is None:
        raise Http404
    _form, period = _period(request)
    data = selectors.dashboard(period)
    response = HttpResponse(
        charts.render(spec, data.series, period), content_type="image/svg+xml; charset=utf-8"
    )
    response["Content-Security-Policy"] = SVG_CSP
    response["Cache-Control"] = "private, max-age=300"
    return response


@insights_required
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    if table not in exports.TABLES or fmt not in exports.FORMATS:
        raise Http404
    _form, period = _period(request)
    content = exports.render(table, fmt, period)
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else services.XLSX_TYPE
    response = HttpResponse(content, content_type=content_type)
    suffix = f"{period.start.isoformat()}_{period.end.isoformat()}"
    if period.category is not None:
        suffix += f"_{period.category.slug}"
    response["Content-Disposition"] = f'attachment; filename="insights-{table}-{suffix}.{fmt}"'
    return response


@insights_required
def reports(request: HttpRequest) -> HttpResponse:
    """The weekly report's recipients: add one by username, take one off."""
    form = RecipientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = User.objects.filter(username=form.cleaned_data["username"]).first()
        if user is None:
            form.add_error("username", _("No member has this username."))
        else:
            try:
                services.report_subscription_set(actor=request.user, user=user, weekly=True)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("username", message)
            else:
                messages.success(
                    request,
                    _("%(name)s will receive the weekly report.") % {"name": user.username},
                )
                return redirect("insights:reports")
    subscriptions = (
        ReportSubscription.objects.filter(weekly=True)
        .select_related("user")
        .order_by("user__username")
    )
    return render(
        request,
        "insights/reports.html",
        {
            "nav": "insights",
            "tab": "reports",
            "form": form,
            "subscriptions": subscriptions,
            "is_subscribed": any(s.user_id == request.user.pk for s in subscriptions),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@insights_required
def report_unsubscribe(request: HttpRequest, username: str) -> HttpResponse:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise Http404
    services.report_subscription_set(actor=request.user, user=user, weekly=False)
    messages.success(
        request, _("%(name)s will no longer receive the weekly report.") % {"name": username}
    )
    return redirect("insights:reports")
