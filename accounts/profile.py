"""Sections of the profile page that downstream apps contribute.

`accounts` sits leftmost in the dependency chain, so it cannot import the apps that know a
member's posts, flags or ideas. Each of them registers a section in its `AppConfig.ready()`;
the profile view renders them in order. A section must cost a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from accounts.models import User


@dataclass(frozen=True)
class ProfileSection:
    order: int
    template: str
    context: Callable[[HttpRequest, User], dict | None]
    """Return the template context, or None to leave the section out for this viewer."""


_sections: list[ProfileSection] = []


def register_profile_section(section: ProfileSection) -> None:
    if section not in _sections:
        _sections.append(section)
        _sections.sort(key=lambda s: s.order)


def profile_sections(request: HttpRequest, member: User) -> list[dict]:
    rendered = []
    for section in _sections:
        context = section.context(request, member)
        if context is not None:
            rendered.append({"template": section.template, "context": context})
    return rendered
