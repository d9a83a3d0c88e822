"""DRF input and output shapes of the community API (see community/api.py).

Output serializers only read what the selectors loaded or annotated (``author``, ``category``,
prefetched ``tags``, ``my_vote``, ``is_accepted``, ``reply_to_number``...), so a page costs the
same number of queries whatever its length. Input serializers check types and shapes only:
the rules (lengths, trust levels, limits) are the services', whose errors name the same fields.
Nothing here writes a model.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from community import permissions
from community.models import ContentState, TopicKind
from community.ranking import TOP_PERIODS
from config.api.schema import ErrorSerializer, RateLimitedSerializer, error_responses  # noqa: F401

TOPIC_ORDERINGS = ("latest", "new", "top", "hot")
POST_ORDERINGS = ("oldest", "best")

# --- Small shared shapes ------------------------------------------------------------------------


class AuthorSerializer(serializers.Serializer):
    """A member as shown next to their content (null when the account is gone: see
    ``author_name``)."""

    username = serializers.CharField()
    display_name = serializers.CharField()


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


class CategorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    description = serializers.CharField()
    colour = serializers.CharField()
    position = serializers.IntegerField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    default_topic_kind = serializers.ChoiceField(choices=TopicKind.choices)
    min_trust_to_start = serializers.IntegerField()
    min_trust_to_reply = serializers.IntegerField()
    read_only = serializers.BooleanField()
    pre_moderated = serializers.BooleanField()
    language = serializers.CharField()
    topic_count = serializers.IntegerField()
    post_count = serializers.IntegerField()
    last_activity_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(source="get_absolute_url")
    can_start_topic = serializers.SerializerMethodField()

    def get_can_start_topic(self, category) -> bool:
        return permissions.can_start_topic(self.context["request"].user, category)


class CategoryListSerializer(serializers.Serializer):
    """Every category fits in one page: ``next`` and ``previous`` are always null."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CategorySerializer(many=True)


# --- Posts ----------------------------------------------------------------------------------------


class PostSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    topic = serializers.IntegerField(source="topic_id")
    number = serializers.IntegerField()
    url = serializers.CharField(source="get_absolute_url")
    author = AuthorSerializer(allow_null=True)
    author_name = serializers.CharField()
    reply_to = serializers.IntegerField(source="reply_to_id", allow_null=True)
    reply_to_number = serializers.IntegerField(allow_null=True, default=None)
    body = serializers.CharField(help_text=_("The Markdown source."))
    body_html = serializers.CharField(help_text=_("The stored, sanitised HTML rendering."))
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    edit_count = serializers.IntegerField()
    score = serializers.IntegerField()
    upvotes = serializers.IntegerField()
    downvotes = serializers.IntegerField()
    my_vote = serializers.IntegerField(
        default=0, help_text=_("The caller's vote: 1, -1 or 0 (none, or anonymous).")
    )
    is_official = serializers.BooleanField()
    is_accepted = serializers.BooleanField(default=False)
    state = serializers.ChoiceField(choices=ContentState.choices)
    state_reason = serializers.SerializerMethodField()

    def get_state_reason(self, post) -> str:
        """Why a post is held, hidden or removed: for its author and moderators only, in the
        caller's language when the system gave the reason."""
        if post.state == ContentState.VISIBLE or not (post.state_reason or post.state_reason_code):
            return ""
        user = self.context["request"].user
        if user.is_authenticated and post.author_id == user.pk:
            return post.state_reason_text
        if permissions.can_moderate_topic(user, post.topic):
            return post.state_reason_text
        return ""


class PostCreateInputSerializer(serializers.Serializer):
    body = serializers.CharField(trim_whitespace=False)
    reply_to = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("The id of a post of the same topic.")
    )


class PostUpdateInputSerializer(serializers.Serializer):
    body = serializers.CharField(trim_whitespace=False)
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text=_("Why (edit history).")
    )


class VoteInputSerializer(serializers.Serializer):
    value = serializers.ChoiceField(
        choices=[(1, "+1"), (-1, "-1"), (0, "0")], help_text=_("1 up, -1 down, 0 withdraw.")
    )


class VoteResultSerializer(serializers.Serializer):
    score = serializers.IntegerField()
    my_vote = serializers.IntegerField()
    upvotes = serializers.IntegerField()
    downvotes = serializers.IntegerField()


class ChunkSerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=["equal", "insert", "delete"])
    text = serializers.CharField()

    def to_representation(self, chunk):
        op, text = chunk
        return {"op": op, "text": text}


class RevisionSerializer(serializers.Serializer):
    """One edit: the difference between the text before it and the text after it."""

    number = serializers.IntegerField()
    edited_at = serializers.DateTimeField()
    edited_by_name = serializers.CharField()
    note = serializers.CharField()
    old_title = serializers.CharField()
    new_title = serializers.CharField()
    title_changed = serializers.BooleanField()
    chunks = ChunkSerializer(many=True)


class RevisionListSerializer(serializers.Serializer):
    """A post's whole history fits in one page: ``next`` and ``previous`` are always null."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = RevisionSerializer(many=True)


# --- Topics ---------------------------------------------------------------------------------------


class TopicSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    slug = serializers.CharField()
    url = serializers.CharField(source="get_absolute_url")
    category = CategoryRefSerializer()
    author = AuthorSerializer(allow_null=True)
    author_name = serializers.CharField()
    kind = serializers.ChoiceField(choices=TopicKind.choices)
    state = serializers.ChoiceField(choices=ContentState.choices)
    tags = serializers.SerializerMethodField()
    pinned = serializers.BooleanField()
    pinned_globally = serializers.BooleanField()
    locked = serializers.BooleanField()
    closed = serializers.BooleanField()
    accepted_answer = serializers.IntegerField(source="accepted_answer_id", allow_null=True)
    created_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()
    last_poster_name = serializers.CharField()
    reply_count = serializers.IntegerField()
    view_count = serializers.IntegerField()
    score = serializers.IntegerField()
    last_read_number = serializers.IntegerField(
        allow_null=True, default=None, help_text=_("Null: never opened (or anonymous).")
    )
    unread_count = serializers.IntegerField(default=0)

    def get_tags(self, topic) -> list[str]:
        # Prefetched by the selectors: `.all()` reads the cache.
        return [tag.slug for tag in topic.tags.all()]


class TopicDetailSerializer(TopicSerializer):
    follow_level = serializers.IntegerField(
        allow_null=True,
        default=None,
        help_text=_("0 muted, 1 normal, 2 tracking, 3 watching; null: not following."),
    )
    first_post = PostSerializer(allow_null=True)


class TopicCreateInputSerializer(serializers.Serializer):
    category = serializers.CharField(help_text=_("The category's slug or id."))
    title = serializers.CharField(
        max_length=settings.COMMUNITY_TITLE_MAX * 2, help_text=_("8 to 200 characters.")
    )
    body = serializers.CharField(trim_whitespace=False, help_text=_("Markdown."))
    kind = serializers.ChoiceField(
        choices=TopicKind.choices,
        required=False,
        allow_null=True,
        help_text=_("Default: the category's default kind."),
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        max_length=50,
        help_text=_("Tag names; normalised to lowercase slugs, 5 at most."),
    )


class TopicUpdateInputSerializer(serializers.Serializer):
    """Every field is optional. ``title``/``body``/``note`` edit the first post (its author
    within the edit window, or a moderator); the rest are moderators' switches."""

    title = serializers.CharField(required=False, max_length=settings.COMMUNITY_TITLE_MAX * 2)
    body = serializers.CharField(required=False, trim_whitespace=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    locked = serializers.BooleanField(required=False)
    closed = serializers.BooleanField(required=False)
    pinned = serializers.BooleanField(required=False)
    pinned_globally = serializers.BooleanField(required=False)
    category = serializers.CharField(
        required=False, help_text=_("Move the topic: the new category's slug or id.")
    )


class TopicListQuerySerializer(serializers.Serializer):
    """Query parameters the view checks itself (the other filters are TopicFilterSet's)."""

    ordering = serializers.ChoiceField(choices=TOPIC_ORDERINGS, required=False, default="latest")
    period = serializers.ChoiceField(choices=list(TOP_PERIODS), required=False, default="all")
    category = serializers.CharField(required=False, max_length=80)
    search = serializers.CharField(required=False, max_length=200, allow_blank=True)


class PostListQuerySerializer(serializers.Serializer):
    ordering = serializers.ChoiceField(choices=POST_ORDERINGS, required=False, default="oldest")


# --- Search ---------------------------------------------------------------------------------------


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=200)
    category = serializers.CharField(required=False, max_length=80)
    tag = serializers.CharField(required=False, max_length=50)
    kind = serializers.ChoiceField(choices=TopicKind.choices, required=False)
    author = serializers.CharField(required=False, max_length=150)


class SearchTopicSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField(source="get_absolute_url")
    category = CategoryRefSerializer()


class SearchHitSerializer(serializers.Serializer):
    post = serializers.IntegerField(source="post.pk")
    number = serializers.IntegerField(source="post.number")
    url = serializers.CharField(source="post.get_absolute_url")
    topic = SearchTopicSerializer()
    author_name = serializers.CharField(source="post.author_name")
    created_at = serializers.DateTimeField(source="post.created_at")
    snippet_html = serializers.CharField(
        help_text=_("Escaped text; the matched words in <mark>…</mark>, no other markup.")
    )
    rank = serializers.FloatField()
