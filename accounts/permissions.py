"""Who may do what, account-wide. One function per question, used by services, views,
templates and the API alike. Later apps add their own `permissions.py` built on these."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.roles import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

    AnyUser = User | AnonymousUser


def _active(user: AnyUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_moderator(user: AnyUser | None) -> bool:
    """Moderators (community managers) and administrators."""
    return _active(user) and user.has_perm("accounts.moderate")


def is_brand_staff(user: AnyUser | None) -> bool:
    """The brand's official voice (administrators included)."""
    return _active(user) and user.has_perm("accounts.answer_officially")


def is_administrator(user: AnyUser | None) -> bool:
    return _active(user) and user.has_perm("accounts.administer")


def is_staff_role(user: AnyUser | None) -> bool:
    return is_moderator(user) or is_brand_staff(user) or is_administrator(user)


def role_names(user: AnyUser | None) -> list[str]:
    """The user's roles, most powerful first (labels for display)."""
    if not _active(user):
        return []
    names = set(user.groups.values_list("name", flat=True))
    if user.is_superuser:
        names.add(Role.ADMINISTRATOR)
    order = [Role.ADMINISTRATOR, Role.MODERATOR, Role.BRAND_STAFF, Role.MEMBER]
    return [str(role.label) for role in order if role.value in names]


def has_trust_level(user: AnyUser | None, level: int) -> bool:
    """Staff roles pass every trust gate: a CM never waits to be promoted to do their job."""
    if not _active(user):
        return False
    return user.trust_level >= level or is_staff_role(user)


def can_view_insights(user: AnyUser | None) -> bool:
    return _active(user) and user.has_perm("accounts.view_insights")


def can_change_trust_level(actor: AnyUser | None, member: User) -> bool:
    """Staff may set another member's level; nobody promotes themselves."""
    return (
        _active(actor) and actor.has_perm("accounts.manage_trust_levels") and actor.pk != member.pk
    )


def can_edit_profile(actor: AnyUser | None, member: User) -> bool:
    return _active(actor) and (actor.pk == member.pk or is_administrator(actor))
