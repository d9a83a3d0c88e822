"""Categories: creation and following."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from community import permissions
from community.models import (
    Category,
    CategorySubscription,
    TopicKind,
)
from community.services._base import (
    _clean_text,
    _level,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    AnyUser = User | AnonymousUser | None


@transaction.atomic
def category_create(
    *,
    actor: AnyUser,
    name: str,
    slug: str | None = None,
    description: str = "",
    parent: Category | None = None,
    position: int = 0,
    colour: str = "#1f5fbf",
    default_topic_kind: str = TopicKind.DISCUSSION,
    min_trust_to_start: int = 0,
    min_trust_to_reply: int = 0,
    read_only: bool = False,
    pre_moderated: bool = False,
    language: str | None = None,
    moderators: Iterable[User] = (),
) -> Category:
    """Create a category (administrators; ``actor=None`` for the system, e.g. the seed)."""
    if actor is not None and not permissions.can_create_category(actor):
        raise PermissionDenied(_("Only administrators may create categories."))
    name = " ".join(_clean_text(name).split())
    category = Category(
        name=name,
        slug=slugify(_clean_text(slug or name))[:80],
        description=_clean_text(description).strip(),
        parent=parent,
        position=position,
        colour=colour,
        default_topic_kind=default_topic_kind,
        min_trust_to_start=min_trust_to_start,
        min_trust_to_reply=min_trust_to_reply,
        read_only=read_only,
        pre_moderated=pre_moderated,
        language=language or settings.LANGUAGE_CODE,
    )
    category.full_clean()
    category.save()
    if moderators:
        category.moderators.set(list(moderators))
    return category


@transaction.atomic
def category_subscribe(*, actor: User, category: Category, level: int) -> CategorySubscription:
    """Set how closely ``actor`` follows a category (creates or updates the subscription)."""
    if not permissions.can_subscribe_category(actor, category):
        raise PermissionDenied(_("Sign in to follow this category."))
    subscription, _created = CategorySubscription.objects.update_or_create(
        user=actor, category=category, defaults={"level": _level(level)}
    )
    return subscription
