"""Web input of the community pages. Forms check shape (present, length, choice); the rules
(trust levels, locks, edit windows, rate limits) belong to `community.services`, whose
`ValidationError`s the views copy back onto these forms."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from community.models import Category, NotificationLevel, TopicKind

#: What the preview accepts: the longest post, with room for a draft being trimmed.
BODY_HARD_LIMIT = 100_000
TAGS_FIELD_MAX_LENGTH = 300


#: Between a parent category's name and its child's in a select ("Kettles > Mini", with a
#: typographic angle quote).
CATEGORY_SEPARATOR = " \u203a "


def category_choices(categories: Iterable[Category]) -> list[tuple[int, str]]:
    """Choices for a category select, children labelled "Parent > Child"."""
    categories = list(categories)
    names = {c.pk: c.name for c in categories}
    choices = []
    for category in categories:
        parent_name = names.get(category.parent_id) if category.parent_id else None
        label = (
            f"{parent_name}{CATEGORY_SEPARATOR}{category.name}" if parent_name else category.name
        )
        choices.append((category.pk, label))
    return choices


class _CategoryChoiceMixin:
    """A category select over a list the view already loaded (no query to render or clean)."""

    def _set_categories(self, categories: Iterable[Category]) -> None:
        self._categories = {c.pk: c for c in categories}
        self.fields["category"].choices = category_choices(self._categories.values())

    def clean_category(self) -> Category:
        category = self._categories.get(self.cleaned_data["category"])
        if category is None:
            raise forms.ValidationError(_("Choose a category you may post in."))
        return category


def split_tags(value: str) -> list[str]:
    """Tag names from "a, b, c": trimmed, empty ones dropped, duplicates (any case) removed."""
    seen: set[str] = set()
    names = []
    for raw in value.split(","):
        name = " ".join(raw.split())
        if name and name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    return names


class BodyField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Message"))
        kwargs.setdefault("max_length", settings.COMMUNITY_BODY_MAX)
        kwargs.setdefault("strip", False)  # leading spaces are Markdown (code blocks)
        kwargs.setdefault(
            "widget",
            forms.Textarea(attrs={"rows": 8, "data-composer-body": "", "spellcheck": "true"}),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value is not None and not value.strip():
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return value


class _Form(forms.Form):
    label_suffix = ""  # labels stand above their fields: no colon


class TopicForm(_CategoryChoiceMixin, _Form):
    category = forms.TypedChoiceField(label=_("Category"), coerce=int)
    title = forms.CharField(
        label=_("Title"),
        max_length=settings.COMMUNITY_TITLE_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("Say what it is about in one sentence, as you would ask a friend."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=TopicKind.choices, initial=TopicKind.DISCUSSION
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=TAGS_FIELD_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("Optional, separated by commas, e.g. “kettle, descaling”."),
    )
    body = BodyField()

    def __init__(self, *args, categories: Iterable[Category], **kwargs):
        super().__init__(*args, **kwargs)
        self._set_categories(categories)

    def clean_tags(self) -> list[str]:
        return split_tags(self.cleaned_data.get("tags") or "")


class ReplyForm(_Form):
    body = BodyField(label=_("Your reply"))
    reply_to = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class PostEditForm(_Form):
    title = forms.CharField(
        label=_("Title"), max_length=settings.COMMUNITY_TITLE_MAX, required=False
    )
    body = BodyField()
    note = forms.CharField(
        label=_("Edit reason"),
        max_length=500,
        required=False,
        help_text=_("Optional, shown in the history, e.g. “fixed a typo”."),
    )

    def __init__(self, *args, with_title: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if with_title:
            self.fields["title"].required = True
        else:
            del self.fields["title"]


class PreviewForm(forms.Form):
    body = forms.CharField(max_length=BODY_HARD_LIMIT, required=False, strip=False)


class VoteForm(forms.Form):
    value = forms.TypedChoiceField(choices=[(1, "+1"), (-1, "-1"), (0, "0")], coerce=int)


class LevelForm(forms.Form):
    level = forms.TypedChoiceField(choices=NotificationLevel.choices, coerce=int)


class MoveForm(_CategoryChoiceMixin, _Form):
    category = forms.TypedChoiceField(label=_("Move to"), coerce=int)

    def __init__(self, *args, categories: Iterable[Category], **kwargs):
        super().__init__(*args, **kwargs)
        self._set_categories(categories)


class ModerateForm(forms.Form):
    ACTIONS = ("lock", "unlock", "close", "reopen", "pin", "pin_globally", "unpin")
    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])


class SearchForm(_Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    tag = forms.SlugField(label=_("Tag"), required=False, max_length=50)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *TopicKind.choices]
    )
    author = forms.CharField(label=_("Author"), required=False, max_length=150)

    def __init__(self, *args, categories: Iterable[Category], **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = {c.slug: c for c in categories}
        self.fields["category"].choices = [
            ("", _("All categories")),
            *(
                (c.slug, label)
                for c, (_pk, label) in zip(
                    self.categories.values(),
                    category_choices(self.categories.values()),
                    strict=True,
                )
            ),
        ]

    def clean_category(self) -> Category | None:
        slug = self.cleaned_data.get("category")
        return self.categories.get(slug) if slug else None

    def clean_q(self) -> str:
        return " ".join((self.cleaned_data.get("q") or "").split())
