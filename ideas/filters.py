"""django-filter FilterSet of the idea board, shared by the web board (and a future API).

Bad input never raises: a field whose value does not validate (an unknown status, a challenge
id that is not a number) is left out of ``cleaned_data`` and that filter is not applied;
``filterset.errors`` says what was wrong. Unknown slugs are valid strings that match nothing.
Visibility is the selector's job (``ideas.selectors.idea_board`` passes visible ideas only).
"""

from __future__ import annotations

import re

import django_filters
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from community.models import Post
from ideas.models import Idea, IdeaStatus

MAX_TERMS = 8
_WORD_RE = re.compile(r"\w+")


class IdeaFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=IdeaStatus.choices, label=_("Status"))
    category = django_filters.CharFilter(method="filter_category", label=_("Category"))
    tag = django_filters.CharFilter(field_name="topic__tags__slug", label=_("Tag"))
    q = django_filters.CharFilter(method="filter_search", label=_("Search"), max_length=200)
    challenge = django_filters.NumberFilter(field_name="challenge_id", label=_("Challenge"))

    class Meta:
        model = Idea
        fields: list[str] = []

    def filter_category(self, queryset: QuerySet[Idea], name: str, value: str):
        """A category's slug; its subcategories' ideas are included."""
        return queryset.filter(
            Q(topic__category__slug=value) | Q(topic__category__parent__slug=value)
        )

    def filter_search(self, queryset: QuerySet[Idea], name: str, value: str):
        """Every word must match the idea's title or proposal (PostgreSQL: full text, English
        and French stemming; SQLite: substring)."""
        text = " ".join(str(value or "").replace("\x00", " ").split())[:200]
        terms = list(dict.fromkeys(w.lower() for w in _WORD_RE.findall(text)))[:MAX_TERMS]
        if not terms:
            return queryset
        if connection.vendor == "postgresql":
            query = SearchQuery(text, search_type="websearch", config="english") | SearchQuery(
                text, search_type="websearch", config="french"
            )
            first_post = Post.objects.filter(
                topic_id=OuterRef("topic_id"), number=1, search_vector=query
            )
            return queryset.filter(Exists(first_post))
        for term in terms:
            body_has = Post.objects.filter(
                topic_id=OuterRef("topic_id"), number=1, body__icontains=term
            )
            queryset = queryset.filter(Q(topic__title__icontains=term) | Q(Exists(body_has)))
        return queryset
