"""Every write on accounts. Each service takes the acting user first, checks permission,
validates and runs in one transaction."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import ApiToken, TrustLevel, TrustLevelChange, User, UserStats
from accounts.roles import ROLE_PERMISSIONS, Role
from accounts.trust import trust_level_for
from accounts.validators import username_validator

STAT_FIELDS = frozenset(
    f.name for f in UserStats._meta.get_fields() if f.name not in {"user", "last_visit_on"}
)


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str,
    password: str | None = None,
    role: Role = Role.MEMBER,
    trust_level: int = TrustLevel.NEW,
    display_name: str = "",
    language: str = settings.LANGUAGE_CODE,
) -> User:
    """Create a member with their statistics row and role group (used by commands and tests;
    sign-up goes through allauth, whose adapter calls `user_setup`)."""
    user = User(
        username=username,
        email=email,
        display_name=display_name,
        trust_level=trust_level,
        language=language,
    )
    user.full_clean(exclude=["password"])
    username_validator(username)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    user_setup(user=user, role=role)
    return user


def user_setup(*, user: User, role: Role = Role.MEMBER) -> None:
    """Give a new account its statistics row and its role group. Idempotent."""
    UserStats.objects.get_or_create(user=user)
    user.groups.add(role_group(role))


def role_group(role: Role) -> Group:
    """The group of a role, created with its permissions if missing (a data migration creates
    them; a database flushed by a test or restored partially must not give powerless roles)."""
    group, created = Group.objects.get_or_create(name=role.value)
    if created:
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label="accounts", codename__in=ROLE_PERMISSIONS[role]
            )
        )
    return group


def user_stats_add(*, user_id: int, **increments: int) -> None:
    """Add to a member's counters atomically (F() updates: no lost increment under load)."""
    unknown = set(increments) - STAT_FIELDS
    if unknown:
        raise ValueError(f"unknown statistics: {sorted(unknown)}")
    updates = {name: F(name) + amount for name, amount in increments.items() if amount}
    if not updates:
        return
    if not UserStats.objects.filter(user_id=user_id).update(**updates):
        UserStats.objects.get_or_create(user_id=user_id)
        UserStats.objects.filter(user_id=user_id).update(**updates)


def user_visit_record(*, user_id: int, today: dt.date | None = None) -> bool:
    """Count today as a visited day, once. Return True if this call counted it."""
    today = today or timezone.localdate()
    UserStats.objects.get_or_create(user_id=user_id)
    counted = (
        UserStats.objects.filter(user_id=user_id)
        .filter(Q(last_visit_on__isnull=True) | Q(last_visit_on__lt=today))
        .update(days_visited=F("days_visited") + 1, last_visit_on=today)
    )
    return bool(counted)


@transaction.atomic
def user_profile_update(
    *,
    actor: User,
    user: User,
    display_name: str,
    bio: str,
    language: str,
    timezone_name: str,
) -> User:
    if not permissions.can_edit_profile(actor, user):
        raise PermissionDenied(_("You may not edit this profile."))
    user.display_name = display_name.strip()
    user.bio = bio.strip()
    user.language = language
    user.timezone = timezone_name
    user.full_clean(exclude=["password", "username", "email"])
    user.save(update_fields=["display_name", "bio", "language", "timezone"])
    return user


@transaction.atomic
def trust_level_set(
    *, actor: User, member: User, level: int, locked: bool, reason: str = ""
) -> User:
    """Set a member's trust level by hand. `locked` keeps automatic promotion away from it."""
    if not permissions.can_change_trust_level(actor, member):
        raise PermissionDenied(_("You may not change this member's trust level."))
    if level not in TrustLevel.values:
        raise ValidationError({"level": _("Choose a trust level between 0 and 4.")})
    member = User.objects.select_for_update().get(pk=member.pk)
    old_level = member.trust_level
    member.trust_level = level
    member.trust_level_locked = locked
    member.save(update_fields=["trust_level", "trust_level_locked"])
    TrustLevelChange.objects.create(
        user=member,
        old_level=old_level,
        new_level=level,
        locked=locked,
        changed_by=actor,
        changed_by_name=actor.username,
        reason=reason.strip()[:500],
    )
    return member


def trust_levels_promote(*, batch_size: int = 1000) -> int:
    """Promote every unlocked member whose figures reach a higher level. Never demotes.

    Return how many members were promoted. Works in batches so a large community does not
    hold one long transaction.
    """
    requirements = settings.TRUST_LEVEL_REQUIREMENTS
    top_automatic = max(requirements)
    promoted = 0
    last_pk = 0
    while True:
        batch = list(
            User.objects.filter(
                pk__gt=last_pk,
                is_active=True,
                trust_level_locked=False,
                trust_level__lt=top_automatic,
            )
            .select_related("stats")
            .order_by("pk")[:batch_size]
        )
        if not batch:
            return promoted
        last_pk = batch[-1].pk
        with transaction.atomic():
            for user in batch:
                stats = getattr(user, "stats", None)
                if stats is None:
                    continue
                level = trust_level_for(stats.as_figures(), requirements)
                if level > user.trust_level:
                    # The filter on the old level makes a concurrent manual change win.
                    changed = User.objects.filter(
                        pk=user.pk, trust_level=user.trust_level, trust_level_locked=False
                    ).update(trust_level=level)
                    if changed:
                        TrustLevelChange.objects.create(
                            user=user,
                            old_level=user.trust_level,
                            new_level=level,
                            reason="automatic promotion",
                        )
                        promoted += 1


API_TOKENS_PER_MEMBER = 20
_API_TOKEN_TOUCH_SECONDS = 60


def api_token_digest(key: str) -> str:
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``actor`` and return it with its key, which is not stored and cannot
    be shown again."""
    import secrets

    if not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied(_("Log in to create an API token."))
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name, such as the script using it.")})
    if len(name) > 80:
        raise ValidationError({"name": _("A token name has at most 80 characters.")})
    # Lock the member's row so two simultaneous requests cannot both pass the count.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    if ApiToken.objects.filter(user=actor).count() >= API_TOKENS_PER_MEMBER:
        raise ValidationError(
            _("You have %(count)d tokens, the most allowed: revoke one first.")
            % {"count": API_TOKENS_PER_MEMBER}
        )
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor, name=name, key_digest=api_token_digest(key), prefix=key[:8]
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> None:
    """Delete ``token``; only its owner may."""
    if token.user_id != actor.pk:
        raise PermissionDenied(_("This token is not yours."))
    token.delete()


def api_token_authenticate(*, key: str) -> User | None:
    """Return the active member owning ``key``, or None. Records the last use at most once a
    minute, so a busy script does not write on every request."""
    token = ApiToken.objects.select_related("user").filter(key_digest=api_token_digest(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > (
        _API_TOKEN_TOUCH_SECONDS
    ):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
