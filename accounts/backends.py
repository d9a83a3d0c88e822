"""Authentication backend whose permission lookups are cached across requests.

Roles are groups, and pages, the API throttle and templates ask `has_perm` on almost every
request; Django's ModelBackend pays two queries (user and group permissions) the first time per
request. Here the set is kept in the cache per member for a few minutes and dropped as soon as
the member's groups or permissions, or any group's permissions, change through the ORM (a
signal: this is cache hygiene, not a business flow).
"""

from __future__ import annotations

import contextlib

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

PERMISSIONS_CACHE_SECONDS = 300
_VERSION_KEY = "accounts:perms:version"


def _key(user) -> str:
    version = cache.get_or_set(_VERSION_KEY, 1, None)
    return f"accounts:perms:{version}:{user.pk}:{int(user.is_superuser)}"


class CachedPermissionsBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            try:
                key = _key(user_obj)
                cached = cache.get(key)
            except Exception:  # a cache outage must not break pages: ask the database
                key, cached = None, None
            if cached is None:
                cached = super().get_all_permissions(user_obj)
                if key is not None:
                    with contextlib.suppress(Exception):
                        cache.set(key, cached, PERMISSIONS_CACHE_SECONDS)
            # ModelBackend subclasses (allauth's too) reuse this attribute within the request.
            user_obj._perm_cache = set(cached)
        return user_obj._perm_cache


def forget_member_permissions(user_id: int) -> None:
    # While the cache is unreachable there is nothing cached to forget.
    with contextlib.suppress(Exception):
        version = cache.get(_VERSION_KEY, 1)
        cache.delete_many([f"accounts:perms:{version}:{user_id}:{s}" for s in (0, 1)])


def forget_all_permissions() -> None:
    with contextlib.suppress(Exception):
        try:
            cache.incr(_VERSION_KEY)
        except ValueError:
            cache.set(_VERSION_KEY, 2, None)


def _member_changed(sender, instance, action, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    from accounts.models import User

    if isinstance(instance, User):
        forget_member_permissions(instance.pk)
    else:
        # A group (or permission) seen from the other side: its members are many.
        forget_all_permissions()


def _group_changed(sender, action, **kwargs) -> None:
    if action.startswith("post_"):
        forget_all_permissions()


def connect_invalidation() -> None:
    # Module-level receivers: signals hold weak references, a closure would be collected.
    from django.contrib.auth.models import Group
    from django.db.models.signals import m2m_changed

    from accounts.models import User

    m2m_changed.connect(_member_changed, sender=User.groups.through, dispatch_uid="perms.groups")
    m2m_changed.connect(
        _member_changed, sender=User.user_permissions.through, dispatch_uid="perms.user_perms"
    )
    m2m_changed.connect(
        _group_changed, sender=Group.permissions.through, dispatch_uid="perms.group_perms"
    )
