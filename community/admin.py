"""Django admin for the community's data. Counters and rendered HTML are read-only here:
they are kept by the services, and `manage.py recount_community` repairs counters."""

from django.contrib import admin

from community.models import Category, Post, PostRevision, Tag, Topic, Vote


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "parent",
        "position",
        "default_topic_kind",
        "read_only",
        "pre_moderated",
        "language",
        "topic_count",
        "post_count",
    )
    list_filter = ("read_only", "pre_moderated", "language", "default_topic_kind")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("moderators",)
    readonly_fields = ("topic_count", "post_count", "last_activity_at")
    list_select_related = ("parent",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "topic_count")
    search_fields = ("name", "slug")
    readonly_fields = ("topic_count",)


class PostInline(admin.TabularInline):
    model = Post
    fields = ("number", "author_name", "state", "score", "created_at")
    readonly_fields = fields
    extra = 0
    max_num = 0
    show_change_link = True
    can_delete = False
    ordering = ("number",)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "category",
        "author_name",
        "kind",
        "state",
        "reply_count",
        "score",
        "pinned",
        "locked",
        "closed",
        "created_at",
    )
    list_filter = ("state", "kind", "pinned", "pinned_globally", "locked", "closed", "category")
    search_fields = ("title", "author_name")
    date_hierarchy = "created_at"
    raw_id_fields = ("author", "accepted_answer")
    filter_horizontal = ("tags",)
    list_select_related = ("category",)
    readonly_fields = (
        "reply_count",
        "highest_post_number",
        "view_count",
        "score",
        "hot",
        "last_activity_at",
        "last_poster_name",
        "moved_at",
        "moved_by_name",
    )
    show_full_result_count = False


class PostRevisionInline(admin.TabularInline):
    model = PostRevision
    fields = ("number", "edited_by_name", "note", "created_at")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("__str__", "topic", "author_name", "state", "score", "created_at")
    list_filter = ("state", "is_official")
    search_fields = ("author_name", "body")
    raw_id_fields = ("topic", "author", "reply_to", "state_changed_by")
    list_select_related = ("topic",)
    readonly_fields = (
        "body_html",
        "score",
        "upvotes",
        "downvotes",
        "wilson",
        "edit_count",
        "edited_at",
        "state_changed_at",
        "state_changed_by_name",
    )
    inlines = [PostRevisionInline]
    show_full_result_count = False


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ("post", "user", "value", "created_at")
    list_filter = ("value",)
    raw_id_fields = ("post", "user")
    list_select_related = ("post", "user")
    show_full_result_count = False
