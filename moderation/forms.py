"""Web input of the moderation pages. Forms check shape (present, length, choice); the rules
(trust levels, scopes, claims, limits) belong to ``moderation.services``, whose errors the
views copy back onto these forms or show as messages."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from moderation import coverage
from moderation.models import Action, FlagReason, ItemKind, MemberWarning, WatchedWord
from moderation.services import BULK_ACTIONS

AGE_CHOICES = [
    ("", _("Any age")),
    ("24", _("Waiting more than a day")),
    ("48", _("Waiting more than two days")),
    ("168", _("Waiting more than a week")),
]
STATUS_CHOICES = [
    ("pending", _("Pending")),
    ("resolved", _("Resolved")),
    ("ignored", _("Deferred")),
    ("all", _("All")),
]


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What is wrong?"), choices=FlagReason.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note for the moderators"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for “something else”."),
    )


class AppealForm(forms.Form):
    message = forms.CharField(
        label=_("Why should the moderators look again?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("You can appeal once. A moderator other than the one who decided reviews it."),
    )


class QueueFilterForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"), required=False, choices=[("", _("Any reason")), *FlagReason.choices]
    )
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None, choices=[]
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    kind = forms.ChoiceField(
        label=_("Why queued"), required=False, choices=[("", _("Any")), *ItemKind.choices]
    )
    age = forms.ChoiceField(label=_("Age"), required=False, choices=AGE_CHOICES)
    mine = forms.BooleanField(label=_("Claimed by me"), required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=1000, widget=forms.HiddenInput)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories"))] + [
            (c.pk, c.name) for c in categories
        ]

    def filters(self) -> dict:
        """The selector's filters (empty when the form is invalid)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "reason": data.get("reason") or None,
            "category_id": data.get("category"),
            "status": data.get("status") or "pending",
            "kind": data.get("kind") or None,
            "older_than_hours": float(data["age"]) if data.get("age") else None,
            "claimed_by_me": bool(data.get("mine")),
            "page": data.get("page") or 1,
        }


class DecideForm(forms.Form):
    action = forms.ChoiceField(label=_("Decision"), choices=Action.choices)
    removal_reason = forms.TypedChoiceField(
        label=_("Ready-made reason"), required=False, coerce=int, empty_value=None, choices=[]
    )
    rule = forms.TypedChoiceField(
        label=_("Rule"), required=False, coerce=int, empty_value=None, choices=[]
    )
    reason = forms.CharField(
        label=_("Reason (sent to the member)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    days = forms.IntegerField(label=_("Days"), required=False, min_value=1, max_value=3650)
    permanent = forms.BooleanField(label=_("For good (suspensions)"), required=False)
    warning_level = forms.TypedChoiceField(
        label=_("Warning level"),
        required=False,
        coerce=int,
        empty_value=MemberWarning.Level.FORMAL,
        choices=MemberWarning.Level.choices,
        initial=MemberWarning.Level.FORMAL,
    )
    body = forms.CharField(
        label=_("Corrected text (edit)"),
        required=False,
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    note = forms.CharField(label=_("Note to the author (edit)"), required=False, max_length=500)
    category = forms.TypedChoiceField(
        label=_("Move to"), required=False, coerce=int, empty_value=None, choices=[]
    )

    def __init__(self, *args, removal_reasons=(), rules=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["removal_reason"].choices = [("", "—")] + [
            (r.pk, r.title) for r in removal_reasons
        ]
        self.fields["rule"].choices = [("", "—")] + [(r.pk, str(r)) for r in rules]
        self.fields["category"].choices = [("", "—")] + [(c.pk, c.name) for c in categories]


class BulkForm(forms.Form):
    items = forms.TypedMultipleChoiceField(coerce=int, choices=[])
    action = forms.ChoiceField(
        label=_("Apply to the selection"),
        choices=[(a.value, a.label) for a in Action if a in BULK_ACTIONS],
    )
    removal_reason = forms.TypedChoiceField(
        label=_("Ready-made reason"), required=False, coerce=int, empty_value=None, choices=[]
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)

    def __init__(self, *args, item_ids=(), removal_reasons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [(pk, pk) for pk in item_ids]
        self.fields["removal_reason"].choices = [("", "—")] + [
            (r.pk, r.title) for r in removal_reasons
        ]


class SanctionAppealForm(forms.Form):
    grant = forms.TypedChoiceField(
        label=_("Decision"),
        coerce=lambda value: value == "1",
        choices=[("1", _("Grant: lift the sanction")), ("0", _("Deny"))],
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("Action"), required=False, max_length=48)
    actor_name = forms.CharField(label=_("By"), required=False, max_length=150)
    subject_id = forms.IntegerField(label=_("Member id"), required=False, min_value=1)
    item_id = forms.IntegerField(label=_("Item id"), required=False, min_value=1)


# --- Lists managed by community managers ----------------------------------------------------------


class WatchedWordForm(forms.Form):
    pattern = forms.CharField(
        label=_("Word or pattern"),
        max_length=200,
        help_text=_(
            "Whole words, any case. * is a wildcard inside a word (crypto*). Tick “regular "
            "expression” for a Python pattern: unsafe ones are refused."
        ),
    )
    is_regex = forms.BooleanField(label=_("Regular expression"), required=False)
    action = forms.ChoiceField(label=_("Action"), choices=WatchedWord.WatchedAction.choices)
    replacement = forms.CharField(
        label=_("Replacement"),
        required=False,
        max_length=200,
        help_text=_("For “replace” only; ■■■ when left empty."),
    )
    case_sensitive = forms.BooleanField(label=_("Case-sensitive"), required=False)


class WatchedWordsTestForm(forms.Form):
    prefix = "test"  # shares its page with the add form: distinct field names and ids

    text = forms.CharField(
        label=_("Text to test"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Nothing is saved: see which words match and what a post would become."),
    )
    pattern = forms.CharField(
        label=_("Try a new pattern instead of the saved list"), required=False, max_length=200
    )
    is_regex = forms.BooleanField(label=_("Regular expression"), required=False)


class CommunityRuleForm(forms.Form):
    number = forms.IntegerField(label=_("Number"), min_value=1, max_value=999)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    active = forms.BooleanField(
        label=_("Shown on the guidelines page"), required=False, initial=True
    )


class RemovalReasonForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    message = forms.CharField(
        label=_("Message to the author"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    rule = forms.TypedChoiceField(
        label=_("Rule"), required=False, coerce=int, empty_value=None, choices=[]
    )
    position = forms.IntegerField(
        label=_("Position"),
        min_value=0,
        max_value=10_000,
        initial=0,
        help_text=_("Lower comes first; the first reason is the queue's default for “r”."),
    )
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args, rules=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [("", "—")] + [(r.pk, str(r)) for r in rules]


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class CoverageDayForm(forms.Form):
    """One weekday of coverage hours. Both times empty: nobody on duty that day (apart from a
    previous evening running past midnight)."""

    all_day = forms.BooleanField(label=_("All day"), required=False)
    start = forms.TimeField(label=_("From"), required=False, widget=TimeInput())
    end = forms.TimeField(label=_("To"), required=False, widget=TimeInput())

    def __init__(self, *args, weekday: int, day_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.weekday = weekday
        self.day_name = day_name

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        start, end = data.get("start"), data.get("end")
        if data.get("all_day"):
            data["span"] = coverage.DaySpan(self.weekday, all_day=True)
            return data
        if start is None and end is None:
            data["span"] = None
            return data
        if start is None or end is None:
            raise forms.ValidationError(
                _("%(day)s: give both a start and an end time, or leave both empty.")
                % {"day": self.day_name},
                code="incomplete",
            )
        if start == end:
            raise forms.ValidationError(
                _(
                    "%(day)s: the start and the end are the same time. For round-the-clock "
                    "cover, tick “All day”."
                )
                % {"day": self.day_name},
                code="empty",
            )
        data["span"] = coverage.DaySpan(self.weekday, _minutes(start), _minutes(end))
        return data


def _minutes(moment: dt.time) -> int:
    return moment.hour * 60 + moment.minute


def coverage_initial(span: coverage.DaySpan | None) -> dict:
    if span is None:
        return {}
    if span.all_day:
        return {"all_day": True}
    return {
        "start": dt.time(span.start_minute // 60, span.start_minute % 60),
        "end": dt.time(span.end_minute // 60, span.end_minute % 60),
    }
