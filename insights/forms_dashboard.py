"""The dashboard's filters (GET): a period preset or a custom date range, a granularity and a
category. The same query string drives the page, its charts and its exports."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import Category
from insights import metrics
from insights.selectors import DAY, MONTH, WEEK, Period

PRESET_DAYS = {"7d": 7, "30d": 30, "90d": 90}
MAX_DAYS = 3 * 366


class PeriodForm(forms.Form):
    range = forms.ChoiceField(
        label=_("Period"),
        required=False,
        initial="30d",  # what period() uses when nothing is chosen: the select must say so
        choices=[
            ("7d", _("Last 7 days")),
            ("30d", _("Last 30 days")),
            ("90d", _("Last 90 days")),
            ("12m", _("Last 12 months")),
            ("custom", _("Custom dates")),
        ],
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    granularity = forms.ChoiceField(
        label=_("Granularity"),
        required=False,
        choices=[("", _("Automatic")), (DAY, _("Day")), (WEEK, _("Week")), (MONTH, _("Month"))],
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        required=False,
        queryset=Category.objects.order_by("position", "name"),
        to_field_name="slug",
        empty_label=_("All categories"),
    )

    def clean(self):
        data = super().clean()
        if data.get("range") == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError(_("Give both dates of a custom period."))
            if start > end:
                raise forms.ValidationError(_("The start date must be before the end date."))
            if (end - start).days + 1 > MAX_DAYS:
                raise forms.ValidationError(_("A period is at most three years long."))
        return data

    def period(self, *, today: dt.date | None = None) -> Period:
        """The chosen period (the default one when the form is invalid). Presets end
        yesterday: complete days only, so a trend compares like with like."""
        today = today or metrics.local_today()
        data = self.cleaned_data if self.is_valid() else {}
        preset = data.get("range") or "30d"
        if preset == "custom":
            start, end = data["start"], data["end"]
        else:
            end = today - dt.timedelta(days=1)
            length = 365 if preset == "12m" else PRESET_DAYS.get(preset, 30)
            start = end - dt.timedelta(days=length - 1)
        days = (end - start).days + 1
        granularity = data.get("granularity") or (
            DAY if days <= 31 else WEEK if days <= 180 else MONTH
        )
        return Period(start=start, end=end, granularity=granularity, category=data.get("category"))


class RecipientForm(forms.Form):
    username = forms.CharField(label=_("Member's username"), max_length=150)
