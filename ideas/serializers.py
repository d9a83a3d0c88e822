"""DRF input and output shapes of the ideas API (``ideas/api.py``). Thin: input serializers
check shape and never write; the rules are ``ideas.services``'."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ideas.conf import ideas_settings as conf
from ideas.models import Idea, IdeaStatus

BOARD_ORDERINGS = (
    ("trending", _("Trending")),
    ("top", _("Top")),
    ("new", _("New")),
    ("updated", _("Recently updated")),
)
MAX_ID = 2**63 - 1


class IdeaFilterSerializer(serializers.Serializer):
    """The board's filters (``ideas.filters.IdeaFilterSet``) and its orderings."""

    status = serializers.ChoiceField(choices=IdeaStatus.choices, required=False)
    category = serializers.SlugField(
        required=False, max_length=80, help_text="A category's slug (its subcategories too)."
    )
    tag = serializers.SlugField(required=False, max_length=50, help_text="A tag's slug.")
    q = serializers.CharField(
        required=False, max_length=200, help_text="Words of the title or proposal."
    )
    challenge = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    ordering = serializers.ChoiceField(
        choices=BOARD_ORDERINGS,
        required=False,
        default="trending",
        help_text="trending: supports of the last days, then all-time; top: supports; "
        "new: proposed; updated: last comment or status change.",
    )

    def selector_filters(self) -> dict[str, str]:
        keys = ("status", "category", "tag", "q", "challenge")
        return {k: str(self.validated_data[k]) for k in keys if k in self.validated_data}


class IdeaSerializer(serializers.Serializer):
    """An idea as the board shows it. ``my_vote`` is 1 when the caller supports it."""

    id = serializers.IntegerField(source="pk")
    title = serializers.CharField(source="topic.title")
    url = serializers.CharField(source="get_absolute_url")
    category = serializers.SlugField(source="topic.category.slug")
    tags = serializers.SerializerMethodField()
    author = serializers.CharField(source="topic.author_name")
    status = serializers.ChoiceField(choices=IdeaStatus.choices)
    vote_count = serializers.IntegerField()
    my_vote = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    status_changed_at = serializers.DateTimeField(allow_null=True)
    challenge = serializers.IntegerField(source="challenge_id", allow_null=True)
    merged_into = serializers.IntegerField(source="merged_into_id", allow_null=True)

    def get_tags(self, idea: Idea) -> list[str]:
        return [tag.slug for tag in idea.topic.tags.all()]

    def get_my_vote(self, idea: Idea) -> int:
        return int(bool(getattr(idea, "my_vote", 0)))


class IdeaDetailSerializer(IdeaSerializer):
    """An idea with the brand's official response."""

    official_response = serializers.CharField()
    official_response_html = serializers.CharField()
    responded_by = serializers.CharField(source="responded_by_name")
    responded_at = serializers.DateTimeField(allow_null=True)
    release_note = serializers.CharField()


class IdeaVoteInputSerializer(serializers.Serializer):
    value = serializers.ChoiceField(
        choices=((1, "support"), (0, "withdraw")), help_text="1 supports, 0 withdraws."
    )


class IdeaVoteResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    vote_count = serializers.IntegerField()
    my_vote = serializers.IntegerField()


class StatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=IdeaStatus.choices,
        help_text="`duplicate` is refused: a duplicate is merged, on the web.",
    )
    response = serializers.CharField(
        max_length=conf.RESPONSE_MAX_LENGTH,
        help_text="The official response, shown at the top of the idea and sent to followers.",
    )
    release_note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=conf.RESPONSE_MAX_LENGTH,
        help_text="With `shipped` only: shown on the changelog.",
    )


class RoadmapIdeaSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField(source="topic.title")
    url = serializers.CharField(source="get_absolute_url")
    category = serializers.SlugField(source="topic.category.slug")
    status = serializers.ChoiceField(choices=IdeaStatus.choices)
    vote_count = serializers.IntegerField()
    shipped_at = serializers.DateTimeField(allow_null=True)


class RoadmapColumnSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=IdeaStatus.choices)
    label = serializers.CharField()
    ideas = RoadmapIdeaSerializer(many=True)


class RoadmapFilterSerializer(serializers.Serializer):
    category = serializers.SlugField(
        required=False, max_length=80, help_text="A category's slug (its subcategories too)."
    )
