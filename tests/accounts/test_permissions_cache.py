from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.models import User
from accounts.roles import Role
from accounts.services import role_group
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def test_permissions_are_read_once_then_served_from_the_cache(django_assert_num_queries):
    member = UserFactory()
    first = fresh(member)
    with django_assert_num_queries(2):  # user permissions, group permissions
        assert not first.has_perm("accounts.moderate")
    second = fresh(member)  # another request: a new user object
    with django_assert_num_queries(0):
        assert not second.has_perm("accounts.moderate")
        assert not second.has_perm("accounts.view_insights")


def test_joining_a_role_group_takes_effect_at_once():
    member = UserFactory()
    assert not fresh(member).has_perm("accounts.moderate")
    member.groups.add(role_group(Role.MODERATOR))
    assert fresh(member).has_perm("accounts.moderate")
    member.groups.remove(role_group(Role.MODERATOR))
    assert not fresh(member).has_perm("accounts.moderate")


def test_adding_members_from_the_group_side_takes_effect_at_once():
    member = UserFactory()
    assert not fresh(member).has_perm("accounts.administer")
    role_group(Role.ADMINISTRATOR).user_set.add(member)
    assert fresh(member).has_perm("accounts.administer")


def test_changing_a_groups_permissions_takes_effect_for_its_members():
    moderator = UserFactory(moderator=True)
    assert fresh(moderator).has_perm("accounts.moderate")
    group = Group.objects.get(name=Role.MODERATOR)
    group.permissions.remove(Permission.objects.get(codename="moderate"))
    assert not fresh(moderator).has_perm("accounts.moderate")


def test_a_superuser_flag_is_part_of_the_cached_answer():
    member = UserFactory()
    assert not fresh(member).has_perm("accounts.administer")
    member.is_superuser = True
    member.save()
    assert fresh(member).has_perm("accounts.administer")


def test_an_inactive_member_has_no_permission():
    moderator = UserFactory(moderator=True)
    assert fresh(moderator).has_perm("accounts.moderate")
    moderator.is_active = False
    moderator.save()
    assert not fresh(moderator).has_perm("accounts.moderate")


def test_permissions_are_read_from_the_database_while_the_cache_is_down(settings):
    from django.core.cache import caches

    moderator = UserFactory(moderator=True)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    caches._settings = None  # makes Django re-read CACHES for this test
    assert fresh(moderator).has_perm("accounts.moderate")
    moderator.groups.clear()  # the invalidation signal meets the dead cache too
    assert not fresh(moderator).has_perm("accounts.moderate")
