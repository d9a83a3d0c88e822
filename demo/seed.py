"""The demo community: a fictional brand of kettles, coffee machines and toasters.

Every step is idempotent (it looks up what it would create), so `seed_demo` can run on every
`make run`. Later features add their own step to `STEPS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction

from accounts import services as account_services
from accounts.models import TrustLevel, User
from accounts.roles import Role

DEMO_PASSWORD = "causerie-demo"


@dataclass(frozen=True)
class DemoPerson:
    username: str
    display_name: str
    role: Role
    trust_level: int
    language: str = "en"
    bio: str = ""


PEOPLE = [
    DemoPerson("admin", "Ada Admin", Role.ADMINISTRATOR, TrustLevel.LEADER, bio="Runs the site."),
    DemoPerson(
        "camille",
        "Camille (community manager)",
        Role.MODERATOR,
        TrustLevel.LEADER,
        "fr",
        "Community manager chez Kettlebrook. Je lis tout, même le week-end (enfin, presque).",
    ),
    DemoPerson("marc", "Marc Moderator", Role.MODERATOR, TrustLevel.REGULAR),
    DemoPerson(
        "sophie",
        "Sophie — Kettlebrook product team",
        Role.BRAND_STAFF,
        TrustLevel.REGULAR,
        bio="Product manager for the Aurora kettle range.",
    ),
    DemoPerson("thomas", "Thomas (support)", Role.BRAND_STAFF, TrustLevel.MEMBER, "fr"),
    DemoPerson(
        "alice",
        "Alice",
        Role.MEMBER,
        TrustLevel.LEADER,
        bio="Tea lover, owns every kettle you have ever made.",
    ),
    DemoPerson("bob", "Bob", Role.MEMBER, TrustLevel.REGULAR, bio="Espresso nerd."),
    DemoPerson("chloe", "Chloé", Role.MEMBER, TrustLevel.MEMBER, "fr", "Toasts au petit-déjeuner."),
    DemoPerson("david", "David", Role.MEMBER, TrustLevel.BASIC),
    DemoPerson("emma", "Emma", Role.MEMBER, TrustLevel.NEW, bio="Just got my first Kettlebrook."),
    DemoPerson("lucas", "Lucas", Role.MEMBER, TrustLevel.BASIC, "fr"),
    DemoPerson("ines", "Inès", Role.MEMBER, TrustLevel.MEMBER, "fr"),
    DemoPerson("noah", "Noah", Role.MEMBER, TrustLevel.NEW),
]


def ensure_person(person: DemoPerson) -> User:
    user = User.objects.filter(username=person.username).first()
    if user is None:
        user = account_services.user_create(
            username=person.username,
            email=f"{person.username}@demo.causerie.example",
            password=DEMO_PASSWORD,
            role=person.role,
            trust_level=person.trust_level,
            display_name=person.display_name,
            language=person.language,
        )
        user.bio = person.bio
        if person.role == Role.ADMINISTRATOR:
            user.is_staff = True
            user.is_superuser = True
        user.save()
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


def seed_people(*, size: str, progress: Callable[[str], None]) -> None:
    with transaction.atomic():
        for person in PEOPLE:
            ensure_person(person)
    progress(f"{len(PEOPLE)} demo accounts")


STEPS: list[Callable[..., None]] = [seed_people]


def seed(*, size: str = "small", progress: Callable[[str], None] = print) -> None:
    for step in STEPS:
        step(size=size, progress=progress)


def demo_logins() -> list[tuple[str, str]]:
    return [(p.username, str(p.role.label)) for p in PEOPLE]
