"""Categories, topics, posts, votes, tags, revisions, following and read positions.

Denormalised counters (`Post.score`, `Topic.reply_count`, `Category.topic_count`…) change only
through `community.services` with F() updates; `manage.py recount_community` repairs them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from accounts.models import TrustLevel
from community import reasons


class TopicKind(models.TextChoices):
    DISCUSSION = "discussion", _("Discussion")
    QUESTION = "question", _("Question")
    IDEA = "idea", _("Idea")


class ContentState(models.TextChoices):
    VISIBLE = "visible", _("Visible")
    HELD = "held", _("Awaiting review")
    HIDDEN = "hidden", _("Hidden")
    REMOVED = "removed", _("Removed")
    DELETED = "deleted", _("Deleted by author")


class NotificationLevel(models.IntegerChoices):
    """How closely a member follows a topic or category (Discourse's four levels)."""

    MUTED = 0, _("Muted")
    NORMAL = 1, _("Normal")
    TRACKING = 2, _("Tracking")
    WATCHING = 3, _("Watching")


class Category(models.Model):
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    colour = models.CharField(_("colour"), max_length=7, default="#1f5fbf")
    position = models.PositiveIntegerField(_("position"), default=0)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    default_topic_kind = models.CharField(
        _("default topic kind"),
        max_length=16,
        choices=TopicKind.choices,
        default=TopicKind.DISCUSSION,
    )
    min_trust_to_start = models.PositiveSmallIntegerField(
        _("minimum trust level to start a topic"),
        choices=TrustLevel.choices,
        default=TrustLevel.NEW,
    )
    min_trust_to_reply = models.PositiveSmallIntegerField(
        _("minimum trust level to reply"), choices=TrustLevel.choices, default=TrustLevel.NEW
    )
    read_only = models.BooleanField(
        _("read-only"),
        default=False,
        help_text=_("Only staff may start topics (announcements)."),
    )
    pre_moderated = models.BooleanField(
        _("pre-moderated"),
        default=False,
        help_text=_("Posts of new members (trust level 0) wait for review before being shown."),
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    moderators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("category moderators"),
        blank=True,
        related_name="moderated_categories",
    )
    topic_count = models.PositiveIntegerField(default=0)
    post_count = models.PositiveIntegerField(default=0)
    last_activity_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("community:category", kwargs={"slug": self.slug})

    def clean(self) -> None:
        if self.parent_id and self.parent.parent_id:
            raise ValidationError({"parent": _("Categories nest one level only.")})
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": _("A category cannot be its own parent.")})


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    topic_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("community:tag", kwargs={"slug": self.slug})


class Topic(models.Model):
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="topics"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="topics",
    )
    author_name = models.CharField(max_length=150)
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(max_length=80, allow_unicode=False)
    kind = models.CharField(
        _("kind"), max_length=16, choices=TopicKind.choices, default=TopicKind.DISCUSSION
    )
    state = models.CharField(
        max_length=16, choices=ContentState.choices, default=ContentState.VISIBLE
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="topics")
    language = models.CharField(max_length=8, default=settings.LANGUAGE_CODE)

    pinned = models.BooleanField(_("pinned in its category"), default=False)
    pinned_globally = models.BooleanField(_("pinned everywhere"), default=False)
    locked = models.BooleanField(_("locked"), default=False)
    closed = models.BooleanField(_("closed"), default=False)
    accepted_answer = models.ForeignKey(
        "Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    last_poster_name = models.CharField(max_length=150, blank=True)
    reply_count = models.PositiveIntegerField(default=0)
    highest_post_number = models.PositiveIntegerField(default=0)
    view_count = models.PositiveIntegerField(default=0)
    score = models.IntegerField(default=0)
    hot = models.FloatField(default=0.0)

    moved_at = models.DateTimeField(null=True, blank=True)
    moved_by_name = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        indexes = [
            # Every list sort is an index scan over visible topics (see bench/README.md).
            # Latest: pinned everywhere first (also walked, past its pinned entries, for a
            # category spanning subcategories: see selectors.topic_list_pinned_first).
            models.Index(
                fields=["-pinned_globally", "-last_activity_at", "-id"],
                name="topic_latest_pinned_visible",
                condition=Q(state="visible"),
            ),
            models.Index(
                fields=["category", "-last_activity_at", "-id"],
                name="topic_cat_latest_id_visible",
                condition=Q(state="visible"),
            ),
            # The few pinned topics of a category page, read apart from the others.
            models.Index(
                fields=["category"],
                name="topic_pinned_visible",
                condition=Q(state="visible") & (Q(pinned=True) | Q(pinned_globally=True)),
            ),
            models.Index(
                fields=["-created_at"], name="topic_new_visible", condition=Q(state="visible")
            ),
            models.Index(fields=["-hot"], name="topic_hot_visible", condition=Q(state="visible")),
            models.Index(
                fields=["-score", "-created_at"],
                name="topic_top_visible",
                condition=Q(state="visible"),
            ),
            models.Index(fields=["author", "-created_at"], name="topic_author_recent"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.title)[:80] or "topic"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("community:topic", kwargs={"topic_id": self.pk, "slug": self.slug})

    @property
    def is_question(self) -> bool:
        return self.kind == TopicKind.QUESTION

    @property
    def is_visible(self) -> bool:
        return self.state == ContentState.VISIBLE


class Post(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="posts")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="posts",
    )
    author_name = models.CharField(max_length=150)
    reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    body = models.TextField(_("body"))
    body_html = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    edit_count = models.PositiveIntegerField(default=0)

    score = models.IntegerField(default=0)
    upvotes = models.PositiveIntegerField(default=0)
    downvotes = models.PositiveIntegerField(default=0)
    # Wilson lower bound of (upvotes, downvotes), stored so answers sort by an index.
    wilson = models.FloatField(default=0.0)
    is_official = models.BooleanField(default=False)

    state = models.CharField(
        max_length=16, choices=ContentState.choices, default=ContentState.VISIBLE
    )
    state_changed_at = models.DateTimeField(null=True, blank=True)
    state_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    state_changed_by_name = models.CharField(max_length=150, blank=True)
    # A moderator's reason as typed; for the system's reasons (state_reason_code set) the
    # source-language text, shown translated through state_reason_text (community.reasons).
    state_reason = models.CharField(max_length=500, blank=True)
    state_reason_code = models.CharField(max_length=reasons.CODE_MAX_LENGTH, blank=True)
    state_reason_params = models.JSONField(default=dict, blank=True)
    # PostgreSQL full-text vector (topic title weighted A on the first post, body B), kept up
    # to date by the services; its GIN index is created by a PostgreSQL-only migration. On
    # SQLite the column exists but stays empty and search falls back to LIKE.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.UniqueConstraint(fields=["topic", "number"], name="post_unique_number"),
        ]
        indexes = [
            models.Index(fields=["author", "-created_at"], name="post_author_recent"),
            models.Index(fields=["-created_at"], name="post_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.topic_id}#{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("community:post_permalink", kwargs={"post_id": self.pk})

    @property
    def is_first(self) -> bool:
        return self.number == 1

    @property
    def is_visible(self) -> bool:
        return self.state == ContentState.VISIBLE

    @property
    def state_reason_text(self) -> str:
        """Why the post is in its state, in the active language for the system's reasons."""
        return reasons.display(self.state_reason, self.state_reason_code, self.state_reason_params)


class PostRevision(models.Model):
    """The text of a post before an edit: history survives the edit and the editor's account."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    title = models.CharField(max_length=200, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    edited_by_name = models.CharField(max_length=150)
    # As Post.state_reason: a system note (note_code set) is put into words when shown.
    note = models.CharField(max_length=500, blank=True)
    note_code = models.CharField(max_length=reasons.CODE_MAX_LENGTH, blank=True)
    note_params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["post", "number"]
        constraints = [
            models.UniqueConstraint(fields=["post", "number"], name="revision_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.post_id} r{self.number}"

    @property
    def note_text(self) -> str:
        return reasons.display(self.note, self.note_code, self.note_params)


class Vote(models.Model):
    class Value(models.IntegerChoices):
        UP = 1, _("Up")
        DOWN = -1, _("Down")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes"
    )
    value = models.SmallIntegerField(choices=Value.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "user"], name="vote_one_per_member"),
            models.CheckConstraint(condition=Q(value__in=[1, -1]), name="vote_value_up_or_down"),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="vote_user_recent"),
            # Insights count the votes of a day or a week (insights/metrics.py, people.py).
            models.Index(fields=["created_at"], name="vote_created"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.value:+d} on {self.post_id}"


class TopicSubscription(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="topic_subscriptions"
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="subscriptions")
    level = models.PositiveSmallIntegerField(choices=NotificationLevel.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="topic_subscription_unique"),
        ]
        indexes = [models.Index(fields=["topic", "level"], name="topic_sub_level")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.level} {self.topic_id}"


class CategorySubscription(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="category_subscriptions"
    )
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="subscriptions")
    level = models.PositiveSmallIntegerField(choices=NotificationLevel.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "category"], name="category_subscription_unique"
            ),
        ]
        indexes = [models.Index(fields=["category", "level"], name="category_sub_level")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.level} {self.category_id}"


class ReadPosition(models.Model):
    """How far a member has read a topic: "N new replies" and "jump to first unread"."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="read_positions"
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="read_positions")
    last_read_number = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="read_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.topic_id} to {self.last_read_number}"
