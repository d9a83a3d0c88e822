"""The ideas of the Kettlebrook demo: proposals for the Aurora kettles, the Barista One coffee
machines and the Crisp toasters, across the whole lifecycle, with supports, official
responses, a merged duplicate, a changelog and one running challenge, "Design our next kettle".

Register ``seed_ideas`` in ``demo.seed.STEPS`` after ``seed_community`` (it needs its people and
categories). Every write goes through ``ideas.services`` (and so ``community.services``); the
one liberty taken, as in the community demo, is time: ideas, supports and status changes are
moved back to the days the story says, so the board, the trends and the insight charts look
lived-in. Idempotent: an idea whose title exists is left alone.
"""

# The demo texts are real prose: their typographic characters are meant.
# ruff: noqa: RUF001

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from community.models import Category, Post, Topic, TopicKind
from community.ranking import hot_score
from ideas import services
from ideas.models import Challenge, Idea, IdeaStatusChange, IdeaVote


@dataclass(frozen=True)
class DemoIdea:
    category: str
    author: str
    title: str
    body: str
    days: float
    tags: tuple[str, ...] = ()
    supporters: str = ""  # usernames separated by spaces
    # (status, response, release note, days ago); applied in order by the brand staff member
    statuses: tuple[tuple[str, str, str, float], ...] = ()
    key: str = ""  # to refer to it (merges, challenge)


@dataclass(frozen=True)
class DemoChallenge:
    title: str
    description: str
    category: str
    jury: tuple[str, ...]
    entries: tuple[DemoIdea, ...] = field(default_factory=tuple)
    shortlist: tuple[str, ...] = ()
    supporters: dict[str, str] = field(default_factory=dict)


STAFF = "sophie"

IDEAS = [
    DemoIdea(
        "aurora-kettles",
        "alice",
        "Keep the water warm at a chosen temperature",
        """After boiling, let the Aurora hold the water at 70, 80 or 90 °C for up to an hour.
Green tea at 80 °C, then a second cup twenty minutes later without boiling again.""",
        days=45,
        tags=("aurora", "keep-warm"),
        supporters="bob chloe david emma ines lucas noah marc camille",
        statuses=(
            (
                "under_review",
                "Thanks! We are measuring how much energy a keep-warm mode uses.",
                "",
                38,
            ),
            (
                "planned",
                "It's on the roadmap for the next Aurora firmware: keep-warm at 70/80/90 °C for "
                "up to 60 minutes, with an auto-off.",
                "",
                20,
            ),
        ),
        key="keep-warm",
    ),
    DemoIdea(
        "aurora-kettles",
        "noah",
        "Keep-warm mode at 80 °C",
        "Could the kettle keep the water at 80 °C for a while? I make several cups of tea.",
        days=12,
        tags=("aurora",),
        supporters="emma lucas thomas",
        key="keep-warm-duplicate",
    ),
    DemoIdea(
        "aurora-kettles",
        "bob",
        "Show the live water temperature on the Aurora display",
        "The display shows the target temperature only. Showing the current one while it heats "
        "would tell me how long to wait.",
        days=70,
        tags=("aurora", "display"),
        supporters="alice chloe david ines lucas",
        statuses=(
            ("planned", "Good one: it only needs firmware, no new hardware.", "", 60),
            ("in_progress", "Our firmware team is on it.", "", 40),
            (
                "shipped",
                "Shipped in firmware 2.4 — thank you for asking!",
                "**Aurora firmware 2.4**: the display now shows the live water temperature "
                "while heating, then the target once reached. Update from the app.",
                9,
            ),
        ),
    ),
    DemoIdea(
        "aurora-kettles",
        "chloe",
        "Un mode silencieux pour la nuit",
        """La bouilloire Aurora bipe trois fois quand l'eau est prête. La nuit, avec un bébé qui
dort, ce serait génial de pouvoir couper les bips (ou de ne garder qu'une lumière).""",
        days=30,
        tags=("aurora", "bruit"),
        supporters="alice emma ines lucas david",
        statuses=(
            (
                "in_progress",
                "Bonne idée : un appui long sur le bouton de température coupera les bips. "
                "C'est en test.",
                "",
                6,
            ),
        ),
    ),
    DemoIdea(
        "aurora-kettles",
        "emma",
        "A matte black Aurora",
        "The white Aurora shows every limescale stain. A matte black version, please!",
        days=8,
        tags=("aurora", "design"),
        supporters="noah bob",
        statuses=(("under_review", "We are asking our designers about finishes.", "", 2),),
    ),
    DemoIdea(
        "aurora-kettles",
        "david",
        "A 0.3 L minimum fill line for a single cup",
        "The minimum is 0.5 L; for one cup that is twice the water (and energy) needed.",
        days=5,
        tags=("aurora", "energy"),
        supporters="alice",
    ),
    DemoIdea(
        "barista-one",
        "bob",
        "Save two coffee profiles, one per person",
        "My partner likes a ristretto, I like a lungo. Two profile buttons would save us both.",
        days=50,
        tags=("barista-one", "profiles"),
        supporters="alice chloe ines lucas noah david",
        statuses=(
            (
                "planned",
                "Planned with the next Barista One app update: two profiles with dose, "
                "temperature and volume.",
                "",
                15,
            ),
        ),
    ),
    DemoIdea(
        "barista-one",
        "ines",
        "Descaling reminder for the Barista One in the app",
        "The app knows how many shots I pulled; it could remind me to descale.",
        days=90,
        tags=("barista-one", "app", "descaling"),
        supporters="alice bob chloe david lucas",
        statuses=(
            (
                "shipped",
                "Live in the app since version 3.2.",
                "**App 3.2**: descaling reminders based on the number of shots and your water "
                "hardness. Settings › Barista One › Maintenance.",
                25,
            ),
        ),
    ),
    DemoIdea(
        "barista-one",
        "lucas",
        "Un réservoir d'eau plus grand (2 L)",
        "Le réservoir de 1,2 L se vide vite quand on reçoit. Un réservoir de 2 L en option ?",
        days=40,
        tags=("barista-one",),
        supporters="bob ines",
        statuses=(
            (
                "declined",
                "Merci pour l'idée. Un réservoir de 2 L ne tient pas dans le châssis actuel sans "
                "rendre la machine plus profonde ; nous le gardons en tête pour la prochaine "
                "génération.",
                "",
                18,
            ),
        ),
    ),
    DemoIdea(
        "barista-one",
        "alice",
        "A cold brew programme",
        "A slow, cold extraction programme for summer: fill with cold water and wait.",
        days=3,
        tags=("barista-one", "summer"),
        supporters="bob chloe emma",
    ),
    DemoIdea(
        "crisp-toasters",
        "chloe",
        "A “just a bit more” button",
        "When the toast comes out a little pale, one button to toast it 30 seconds more, "
        "without starting a whole cycle again.",
        days=120,
        tags=("crisp",),
        supporters="alice bob david emma ines lucas noah",
        statuses=(
            ("planned", "Love it. Our engineers say it's a small change.", "", 100),
            (
                "shipped",
                "The Crisp 2 has it!",
                "**Crisp 2**: a “+30 s” button tops up the toasting without a new cycle.",
                30,
            ),
        ),
    ),
    DemoIdea(
        "crisp-toasters",
        "lucas",
        "Des fentes extra-larges pour le pain de campagne",
        "Les tranches de pain de campagne ne rentrent pas dans le Crisp. Des fentes de 4 cm ?",
        days=14,
        tags=("crisp", "design"),
        supporters="chloe ines",
        statuses=(("under_review", "Nous regardons les dimensions avec l'équipe produit.", "", 4),),
    ),
    DemoIdea(
        "crisp-toasters",
        "noah",
        "An alarm when the crumb tray is full",
        "I only notice the crumb tray when it smells burnt. A small light would help.",
        days=2,
        tags=("crisp",),
        supporters="david",
    ),
]

CHALLENGE = DemoChallenge(
    title="Design our next kettle",
    description="""Kettlebrook is starting work on a new kettle, and we want to design it with
you. **Submit** your concept (what it does, for whom, what it looks like), our jury
**shortlists** the most promising ones, then the community **votes**. The winning concept goes
into our product workshop — and its author gets the first one off the line.""",
    category="aurora-kettles",
    jury=("sophie", "camille"),
    entries=(
        DemoIdea(
            "aurora-kettles",
            "ines",
            "A kettle you pour with a lever, without lifting it",
            "For people with weak wrists: the kettle stays on its base and tilts with a lever.",
            days=18,
            tags=("challenge", "accessibility"),
            key="lever",
        ),
        DemoIdea(
            "aurora-kettles",
            "alice",
            "A glass kettle with a tea infuser basket",
            "Boil, then lower the basket: tea brewed at the right temperature, in the kettle.",
            days=16,
            tags=("challenge", "tea"),
            key="infuser",
        ),
        DemoIdea(
            "aurora-kettles",
            "david",
            "A travel kettle that folds flat",
            "Silicone walls that fold into a 4 cm disc, dual voltage, for hotel rooms.",
            days=15,
            tags=("challenge", "travel"),
            key="travel",
        ),
        DemoIdea(
            "aurora-kettles",
            "chloe",
            "Une bouilloire en céramique fabriquée en France",
            "Un corps en céramique de Limoges, une résistance réparable, garantie 10 ans.",
            days=14,
            tags=("challenge", "durable"),
            key="ceramic",
        ),
    ),
    shortlist=("lever", "infuser", "ceramic"),
    supporters={
        "lever": "bob chloe emma lucas noah",
        "infuser": "bob chloe ines",
        "ceramic": "alice emma lucas",
    },
)


#: The demo people (demo/seed.py PEOPLE) this step writes as.
DEMO_NAMES = [
    "admin",
    "camille",
    "marc",
    "sophie",
    "thomas",
    "alice",
    "bob",
    "chloe",
    "david",
    "emma",
    "lucas",
    "ines",
    "noah",
]
DEMO_MEMBERS = ("alice", "bob", "chloe", "david", "emma", "lucas", "ines", "noah")


def _users() -> dict[str, User]:
    return {user.username: user for user in User.objects.filter(username__in=DEMO_NAMES)}


def _backdate(idea: Idea, *, days: float) -> None:
    """Move a freshly created idea (its topic, first post and Idea row) back in time."""
    start = timezone.now() - timedelta(days=days)
    topic = Topic.objects.get(pk=idea.pk)
    # The hot score is a function of the creation time: keep it in step (recount checks it).
    Topic.objects.filter(pk=idea.pk).update(
        created_at=start, last_activity_at=start, hot=hot_score(topic.score, start)
    )
    Post.objects.filter(topic_id=idea.pk, number=1).update(created_at=start)
    Idea.objects.filter(pk=idea.pk).update(created_at=start)


def _support(idea: Idea, names: str, users: dict[str, User], rng: random.Random) -> None:
    """Supports through the service, then spread over the days since the idea was proposed,
    most of them early (as real ideas are supported)."""
    idea.refresh_from_db()
    age = max((timezone.now() - idea.created_at).total_seconds() / 86400, 0.1)
    for name in names.split():
        voter = users.get(name)
        if voter is None or voter.pk == idea.topic.author_id:
            continue
        # Documentation addresses (RFC 3849), one site (/48) each: no false "shared network".
        network = f"2001:db8:{rng.randrange(1, 0xFFFF):x}::{rng.randrange(1, 0xFFFF):x}"
        services.idea_vote_cast(actor=voter, idea=idea, value=1, ip_network=network)
        when = timezone.now() - timedelta(days=age * (1 - rng.random() ** 2))
        IdeaVote.objects.filter(idea=idea, user=voter).update(created_at=when)


def _statuses(idea: Idea, spec: DemoIdea, staff: User) -> None:
    for status, response, release_note, days in spec.statuses:
        idea = services.idea_status_set(
            actor=staff, idea=idea, status=status, response=response, release_note=release_note
        )
        when = timezone.now() - timedelta(days=days)
        change = IdeaStatusChange.objects.filter(idea=idea).order_by("-pk").first()
        IdeaStatusChange.objects.filter(pk=change.pk).update(changed_at=when)
        fields = {"status_changed_at": when, "responded_at": when}
        if status == "shipped":
            fields["shipped_at"] = when
        Idea.objects.filter(pk=idea.pk).update(**fields)


def _existing(title: str) -> Idea | None:
    return Idea.objects.filter(topic__title=title, topic__kind=TopicKind.IDEA).first()


def _seed_idea(spec: DemoIdea, categories, users, staff, rng, challenge=None) -> Idea:
    idea = services.idea_create(
        actor=users[spec.author],
        category=categories[spec.category],
        title=spec.title,
        body=spec.body,
        tags=spec.tags,
        challenge=challenge,
    )
    _backdate(idea, days=spec.days)
    if spec.supporters:
        _support(idea, spec.supporters, users, rng)
    if spec.statuses:
        _statuses(idea, spec, staff)
    return idea


def _seed_challenge(categories, users, staff, rng) -> bool:
    if Challenge.objects.filter(title=CHALLENGE.title).exists():
        return False
    now = timezone.now()
    challenge = services.challenge_create(
        actor=staff,
        title=CHALLENGE.title,
        description=CHALLENGE.description,
        category=categories[CHALLENGE.category],
        submission_start=now - timedelta(days=21),
        submission_end=now + timedelta(days=1),
        shortlist_end=now + timedelta(days=2),
        vote_start=now + timedelta(days=2),
        vote_end=now + timedelta(days=9),
        announcement_at=now + timedelta(days=10),
        jury=[users[name] for name in CHALLENGE.jury if name in users],
    )
    entries = {}
    for spec in CHALLENGE.entries:
        entries[spec.key] = _seed_idea(spec, categories, users, staff, rng, challenge=challenge)
    challenge = services.challenge_phase_open(actor=staff, challenge=challenge, phase="shortlist")
    for key in CHALLENGE.shortlist:
        services.challenge_entry_shortlist(actor=staff, idea=entries[key], shortlisted=True)
    challenge = services.challenge_phase_open(actor=staff, challenge=challenge, phase="vote")
    for key, names in CHALLENGE.supporters.items():
        _support(entries[key], names, users, rng)
    # The story: submissions closed six days ago, the jury took three, the vote runs a week.
    Challenge.objects.filter(pk=challenge.pk).update(
        submission_start=now - timedelta(days=21),
        submission_end=now - timedelta(days=6),
        shortlist_end=now - timedelta(days=3),
        vote_start=now - timedelta(days=3),
        vote_end=now + timedelta(days=7),
        announcement_at=now + timedelta(days=10),
    )
    IdeaVote.objects.filter(idea__challenge=challenge).update(
        created_at=now - timedelta(days=1, hours=rng.randrange(1, 40))
    )
    return True


def _supports_from_upvotes(users: dict[str, User]) -> None:
    """Ideas of the community demo (topics of kind "idea" without supports yet): whoever
    up-voted the proposal supports the idea."""
    from community.models import Vote

    # Challenge entries are left out: a challenge decides who may vote, and when.
    bare = Idea.objects.filter(
        vote_count=0,
        votes__isnull=True,
        status="open",
        challenge__isnull=True,
        topic__author_name__in=DEMO_MEMBERS,
    )
    for idea in bare.select_related("topic"):
        voters = Vote.objects.filter(post__topic_id=idea.pk, post__number=1, value=1)
        for user_id, when in voters.values_list("user_id", "created_at"):
            voter = next((u for u in users.values() if u.pk == user_id), None)
            if voter is None or voter.pk == idea.topic.author_id:
                continue
            services.idea_vote_cast(actor=voter, idea=idea, value=1)
            IdeaVote.objects.filter(idea=idea, user=voter).update(created_at=when)


def seed_ideas(*, size: str, progress: Callable[[str], None]) -> None:
    """The ideas demo (the same for every ``size``: the large data set's topics of kind "idea"
    get their Idea rows, which is what the board needs)."""
    users = _users()
    staff = users.get(STAFF)
    categories = {c.slug: c for c in Category.objects.all()}
    needed = {spec.category for spec in IDEAS} | {CHALLENGE.category}
    if staff is None or not needed <= set(categories):
        progress("ideas demo skipped: run the people and community steps first")
        return
    rng = random.Random(7)  # noqa: S311 - demo data, not security
    created = 0
    with transaction.atomic():
        # Idea topics created before the ideas app (or by a bulk load) get their row.
        missing = Topic.objects.filter(kind=TopicKind.IDEA, idea__isnull=True)
        Idea.objects.bulk_create(
            [
                Idea(topic_id=pk, created_at=at)
                for pk, at in missing.values_list("pk", "created_at")
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        _supports_from_upvotes(users)
        services.idea_category_settings_set(
            actor=staff, category=categories["aurora-kettles"], vote_budget=10, roadmap_public=True
        )
        keyed: dict[str, Idea] = {}
        for spec in IDEAS:
            idea = _existing(spec.title)
            if idea is None:
                idea = _seed_idea(spec, categories, users, staff, rng)
                created += 1
            if spec.key:
                keyed[spec.key] = idea
        duplicate = keyed.get("keep-warm-duplicate")
        original = keyed.get("keep-warm")
        if duplicate is not None and original is not None:
            duplicate.refresh_from_db()
            if duplicate.merged_into_id is None:
                services.idea_merge(
                    actor=staff,
                    source=duplicate,
                    target=original,
                    response="Same idea as “Keep the water warm at a chosen temperature”: "
                    "your supports count there now.",
                )
        challenge_created = _seed_challenge(categories, users, staff, rng)
    progress(
        f"{created} demo ideas"
        + (", challenge “Design our next kettle”" if challenge_created else "")
    )
