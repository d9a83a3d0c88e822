from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.http import Http404

from accounts.models import User


def user_list_active() -> QuerySet[User]:
    return User.objects.filter(is_active=True)


def user_get_public(*, username: str) -> User:
    """The member whose public profile may be shown, with their statistics; 404 otherwise."""
    try:
        return User.objects.select_related("stats").get(username__iexact=username, is_active=True)
    except User.DoesNotExist as exc:
        raise Http404("No such member") from exc


def usernames_existing(names: set[str]) -> set[str]:
    """Return the usernames among `names` (compared case-insensitively) that belong to active
    members, spelled as stored. One query, whatever the number of names."""
    if not names:
        return set()
    return set(
        User.objects.filter(is_active=True)
        .annotate(lower_name=Lower("username"))
        .filter(lower_name__in={name.lower() for name in names})
        .values_list("username", flat=True)
    )
