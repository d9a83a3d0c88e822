"""django-filter FilterSets shared by the web lists and the API.

Bad input never raises: django-filter validates the data with a form, and a field whose value
does not validate (an invalid date, an unknown status) is left out of ``cleaned_data`` — that
filter is simply not applied, the others are, and ``filterset.errors`` says what was wrong so
a page can show it. (DRF's ``DjangoFilterBackend`` turns the same errors into a 400 instead.)
Unknown slugs or usernames are valid strings that match nothing: the list is empty.

The FilterSet narrows a queryset it is given; visibility is the selector's job
(``community.selectors.topic_list`` passes only visible topics).
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from community.models import Topic, TopicKind


class TopicFilterSet(django_filters.FilterSet):
    STATUS_CHOICES = [
        ("open", _("Open")),
        ("closed", _("Closed")),
        ("locked", _("Locked")),
        ("pinned", _("Pinned")),
    ]

    category = django_filters.CharFilter(method="filter_category", label=_("Category"))
    tag = django_filters.CharFilter(field_name="tags__slug", label=_("Tag"))
    kind = django_filters.ChoiceFilter(choices=TopicKind.choices, label=_("Kind"))
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, method="filter_status", label=_("Status")
    )
    author = django_filters.CharFilter(
        field_name="author__username", lookup_expr="iexact", label=_("Author")
    )
    created_after = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("Created on or after")
    )
    created_before = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("Created on or before")
    )
    has_accepted_answer = django_filters.BooleanFilter(
        method="filter_has_accepted_answer", label=_("Has an accepted answer")
    )
    unanswered = django_filters.BooleanFilter(method="filter_unanswered", label=_("Unanswered"))

    class Meta:
        model = Topic
        fields: list[str] = []

    def filter_category(self, queryset: QuerySet[Topic], name: str, value: str):
        """A category's slug; its subcategories' topics are included."""
        return queryset.filter(Q(category__slug=value) | Q(category__parent__slug=value))

    def filter_status(self, queryset: QuerySet[Topic], name: str, value: str):
        if value == "open":
            return queryset.filter(closed=False, locked=False)
        if value == "closed":
            return queryset.filter(closed=True)
        if value == "locked":
            return queryset.filter(locked=True)
        if value == "pinned":
            return queryset.filter(Q(pinned=True) | Q(pinned_globally=True))
        return queryset

    def filter_has_accepted_answer(self, queryset: QuerySet[Topic], name: str, value):
        if value is None:
            return queryset
        return queryset.filter(accepted_answer__isnull=not value)

    def filter_unanswered(self, queryset: QuerySet[Topic], name: str, value):
        """Questions without reply nor accepted answer (``False``: everything else)."""
        if value is None:
            return queryset
        unanswered = Q(kind=TopicKind.QUESTION, reply_count=0, accepted_answer__isnull=True)
        return queryset.filter(unanswered) if value else queryset.exclude(unanswered)
