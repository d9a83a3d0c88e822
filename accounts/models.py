from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class TrustLevel(models.IntegerChoices):
    NEW = 0, _("New")
    BASIC = 1, _("Basic")
    MEMBER = 2, _("Member")
    REGULAR = 3, _("Regular")
    LEADER = 4, _("Leader")


class User(AbstractUser):
    """A person of the community. Roles are Django groups (see `accounts.roles`)."""

    email = models.EmailField(_("e-mail address"), blank=True, db_index=True)
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    bio = models.TextField(_("about me"), max_length=1000, blank=True)
    trust_level = models.PositiveSmallIntegerField(
        _("trust level"), choices=TrustLevel.choices, default=TrustLevel.NEW
    )
    trust_level_locked = models.BooleanField(
        _("trust level locked"),
        default=False,
        help_text=_("When locked, automatic promotion leaves this member's level alone."),
    )
    reputation = models.IntegerField(_("reputation"), default=0)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    timezone = models.CharField(_("time zone"), max_length=64, default=settings.TIME_ZONE)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("moderate", _("Can moderate content")),
            ("answer_officially", _("Can answer officially and set idea statuses")),
            ("view_insights", _("Can view the community insights")),
            ("manage_trust_levels", _("Can change and lock trust levels")),
            ("administer", _("Can administer the community's settings")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(trust_level__gte=0, trust_level__lte=4),
                name="user_trust_level_range",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    def get_absolute_url(self) -> str:
        return reverse("accounts:profile", kwargs={"username": self.username})

    @property
    def public_name(self) -> str:
        return self.display_name or self.username


class UserStats(models.Model):
    """What a member did, counted for trust-level promotion. Counters change only through
    `accounts.services` with F() updates, so concurrent requests never lose an increment."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="stats"
    )
    days_visited = models.PositiveIntegerField(default=0)
    last_visit_on = models.DateField(null=True, blank=True)
    topics_entered = models.PositiveIntegerField(default=0)
    posts_read = models.PositiveIntegerField(default=0)
    time_read_seconds = models.PositiveIntegerField(default=0)
    likes_given = models.PositiveIntegerField(default=0)
    likes_received = models.PositiveIntegerField(default=0)
    topics_created = models.PositiveIntegerField(default=0)
    posts_created = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("member statistics")
        verbose_name_plural = _("member statistics")

    def __str__(self) -> str:
        return f"stats of {self.user_id}"

    def as_figures(self) -> dict[str, int]:
        """The figures trust-level requirements are written in (see TRUST_LEVEL_REQUIREMENTS)."""
        return {
            "days_visited": self.days_visited,
            "topics_entered": self.topics_entered,
            "posts_read": self.posts_read,
            "time_read_minutes": self.time_read_seconds // 60,
            "likes_given": self.likes_given,
            "likes_received": self.likes_received,
            "posts_created": self.posts_created,
        }


class TrustLevelChange(models.Model):
    """Append-only history of a member's trust level: automatic promotions and staff changes."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="trust_level_changes")
    old_level = models.PositiveSmallIntegerField(choices=TrustLevel.choices)
    new_level = models.PositiveSmallIntegerField(choices=TrustLevel.choices)
    locked = models.BooleanField(default=False)
    changed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_by_name = models.CharField(max_length=150, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("trust level change")
        verbose_name_plural = _("trust level changes")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.old_level} -> {self.new_level}"


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest of the key is stored: the key is shown once,
    when it is created, and a leaked database does not leak working tokens."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    key_digest = models.CharField(max_length=64, unique=True)
    # The first characters of the key, so a member can tell their tokens apart.
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.name} ({self.prefix}…)"
