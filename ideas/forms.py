"""Web input of the idea pages. Forms check shape (present, length, choice); the rules
(permissions, budgets, phases, transitions) belong to ``ideas.services``, whose
``ValidationError``s the views copy back onto these forms."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django import forms
from django.conf import settings
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from community.forms import TAGS_FIELD_MAX_LENGTH, BodyField, category_choices, split_tags
from community.models import Category
from ideas.conf import ideas_settings as conf
from ideas.models import ANNOUNCED_PHASES, ChallengePhase, IdeaStatus

_IDEA_REF_RE = re.compile(r"(?:/ideas/|/t/|#)?(\d{1,18})")


class _Form(forms.Form):
    def __init__(self, *args, **kwargs):
        # Labels stand above their fields: no colon. (A class attribute would not do: the
        # form's __init__ sets label_suffix to ":" unless it is passed.)
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class _Categories:
    """A category select over a list the view already loaded (no query to render or clean)."""

    def _set_categories(self, categories: Iterable[Category]) -> None:
        self._categories = {c.pk: c for c in categories}
        self.fields["category"].choices = category_choices(self._categories.values())

    def clean_category(self) -> Category:
        category = self._categories.get(self.cleaned_data["category"])
        if category is None:
            raise forms.ValidationError(_("Choose a category you may post in."))
        return category


class IdeaForm(_Categories, _Form):
    category = forms.TypedChoiceField(label=_("Category"), coerce=int)
    title = forms.CharField(
        label=_("Your idea in one sentence"),
        max_length=settings.COMMUNITY_TITLE_MAX,
        help_text=_("Similar ideas appear below as you type: support one rather than repeat it."),
    )
    body = BodyField(label=_("Describe it: the problem it solves, for whom"))
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=TAGS_FIELD_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("Optional, separated by commas, e.g. “app, descaling”."),
    )

    def __init__(self, *args, categories: Iterable[Category], **kwargs):
        super().__init__(*args, **kwargs)
        self._set_categories(categories)
        # Similar ideas as one types (htmx, debounced); the fragment lands in #similar-ideas.
        self.fields["title"].widget.attrs.update(
            {
                "autocomplete": "off",
                "hx-get": reverse_lazy("ideas:similar"),
                "hx-trigger": "keyup changed delay:400ms, change",
                "hx-target": "#similar-ideas",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
                "aria-describedby": "similar-ideas",
            }
        )

    def clean_tags(self) -> list[str]:
        return split_tags(self.cleaned_data.get("tags") or "")


class VoteForm(forms.Form):
    value = forms.TypedChoiceField(choices=[(1, "1"), (0, "0")], coerce=int)


class StatusForm(_Form):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[(value, label) for value, label in IdeaStatus.choices if value != "duplicate"],
    )
    response = forms.CharField(
        label=_("Official response"),
        max_length=conf.RESPONSE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Shown at the top of the idea and sent to everyone who follows it."),
    )
    release_note = forms.CharField(
        label=_("Release note (when shipped)"),
        required=False,
        max_length=conf.RESPONSE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What shipped, in which version: the changelog shows it."),
    )


class MergeForm(_Form):
    target = forms.CharField(
        label=_("Merge into idea"),
        max_length=200,
        help_text=_("The number or the link of the original idea."),
    )
    response = forms.CharField(
        label=_("Note to its supporters (optional)"),
        required=False,
        max_length=conf.RESPONSE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        # Shown on the idea page next to the status form, which also has a "response": ids of
        # their own keep each label tied to its field.
        kwargs.setdefault("auto_id", "id_merge_%s")
        super().__init__(*args, **kwargs)

    def clean_target(self) -> int:
        value = self.cleaned_data["target"].strip()
        match = _IDEA_REF_RE.search(value)
        if match is None:
            raise forms.ValidationError(_("Give the number or the link of an idea."))
        return int(match.group(1))


class IntListField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            return sorted({int(item) for item in value})
        except (TypeError, ValueError):
            raise forms.ValidationError(_("Choose supports from the list.")) from None


class SupportReviewForm(_Form):
    ACTIONS = (("discount", _("Discount")), ("restore", _("Restore")))
    action = forms.ChoiceField(choices=ACTIONS)
    voters = IntListField(label=_("Supports"))
    reason = forms.CharField(label=_("Reason (logged)"), max_length=500)


class CategorySettingsForm(_Form):
    vote_budget = forms.IntegerField(
        label=_("Vote budget"),
        required=False,
        min_value=1,
        max_value=1000,
        help_text=_("Active supports per member in this category; empty for unlimited."),
    )
    roadmap_public = forms.BooleanField(label=_("Public roadmap"), required=False)


class _DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self):
        super().__init__(format="%Y-%m-%dT%H:%M")


def _datetime_field(label, *, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=_DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )


class ChallengeForm(_Categories, _Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("The call"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 6})
    )
    category = forms.TypedChoiceField(label=_("Category of the entries"), coerce=int)
    submission_start = _datetime_field(_("Submissions open"))
    submission_end = _datetime_field(_("Submissions close"))
    shortlist_end = _datetime_field(_("Jury shortlist ends (optional)"), required=False)
    vote_start = _datetime_field(_("Vote opens"))
    vote_end = _datetime_field(_("Vote closes"))
    announcement_at = _datetime_field(_("Winner announced on"))
    jury = forms.CharField(
        label=_("Jury (usernames, separated by commas)"), required=False, max_length=1000
    )

    def __init__(self, *args, categories: Iterable[Category], **kwargs):
        super().__init__(*args, **kwargs)
        self._set_categories(categories)

    def clean_jury(self) -> list[User]:
        names = [name.strip() for name in (self.cleaned_data.get("jury") or "").split(",")]
        names = [name for name in dict.fromkeys(names) if name]
        if not names:
            return []
        if len(names) > 50:
            raise forms.ValidationError(_("A jury has 50 members at most."))
        users = list(User.objects.filter(username__in=names, is_active=True))
        missing = sorted(set(names) - {user.username for user in users})
        if missing:
            raise forms.ValidationError(
                _("No active member is called: %(names)s.") % {"names": ", ".join(missing)}
            )
        return users


class PhaseForm(forms.Form):
    phase = forms.ChoiceField(
        choices=[
            (phase.value, phase.label) for phase in ChallengePhase if phase in ANNOUNCED_PHASES
        ]
    )


class ShortlistForm(forms.Form):
    shortlisted = forms.TypedChoiceField(choices=[(1, "1"), (0, "0")], coerce=int)


class WinnerForm(forms.Form):
    idea = forms.IntegerField(min_value=1)
