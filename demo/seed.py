"""The demo community: a fictional brand of kettles, coffee machines and toasters.

Every step is idempotent (it looks up what it would create), so `seed_demo` can run on every
`make run`. Later features add their own step to `STEPS`.
"""

# The demo texts are real prose: their en dashes and multiplication signs are meant.
# ruff: noqa: RUF001, RUF002

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts import services as account_services
from accounts.models import TrustLevel, User
from accounts.roles import Role
from ideas.demo import seed_ideas
from insights.demo import seed_insights

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


# --- Community: the small demo, written through the services ---------------------------------
#
# Every topic, reply, vote, edit and moderation action goes through `community.services`, so
# counters, reputation and statistics are exactly what the site would have produced. The
# one liberty taken is time: each topic is created "now" and then moved back to the day the
# story says (`_backdate`), so the lists look lived-in. Only timestamps are written directly;
# hot scores are recomputed from the new creation time with the same formula the services use.


@dataclass(frozen=True)
class DemoCategory:
    slug: str
    name: str
    description: str
    colour: str
    kind: str = "discussion"
    read_only: bool = False
    pre_moderated: bool = False
    language: str = "en"
    parent: str | None = None
    moderators: tuple[str, ...] = ()
    min_trust_to_start: int = 0


@dataclass(frozen=True)
class R:
    """A reply. ``quote``: index of the post quoted (0 = first post); ``votes``: "+alice -bob"."""

    author: str
    body: str
    quote: int | None = None
    reply_to: int | None = None
    official: bool = False
    votes: str = ""
    hours: float = 3.0  # after the previous post


@dataclass(frozen=True)
class T:
    """A demo topic with its story: replies, votes, accepted answer, moderation."""

    category: str
    author: str
    title: str
    body: str
    days: float
    kind: str | None = None
    tags: tuple[str, ...] = ()
    votes: str = ""
    replies: tuple[R, ...] = ()
    accept: int | None = None  # index in replies
    status: tuple[str, ...] = ()  # pinned, pinned_globally, locked, closed
    hide: tuple[tuple[int, str, str], ...] = ()  # (reply index, moderator, reason)
    edit: tuple[str, str] | None = None  # (new first-post body, note)
    official: bool = False


COMMUNITY_CATEGORIES = [
    DemoCategory(
        "announcements",
        "Announcements",
        "News from the Kettlebrook team: releases, firmware updates, events.",
        "#b3261e",
        read_only=True,
        moderators=("camille",),
    ),
    DemoCategory(
        "aurora-kettles",
        "Aurora kettles",
        "Everything about the Aurora range: temperature presets, descaling, keep-warm.",
        "#1f5fbf",
        moderators=("marc",),
    ),
    DemoCategory(
        "barista-one",
        "Barista One coffee machines",
        "Espresso, milk, grinders and error codes of the Barista One.",
        "#6d4c41",
    ),
    DemoCategory(
        "crisp-toasters",
        "Crisp toasters",
        "Browning levels, bagel mode, crumb trays: all things toast.",
        "#e08e0b",
    ),
    DemoCategory(
        "help",
        "Help & support",
        "Warranty, orders, spare parts. Ask a question; the support team answers officially.",
        "#2e7d32",
        kind="question",
    ),
    DemoCategory(
        "ideas",
        "Ideas",
        "Suggest what Kettlebrook should build next, and vote for the ideas you want.",
        "#7b1fa2",
        kind="idea",
    ),
    DemoCategory(
        "entraide",
        "Entraide en français",
        "Questions et astuces entre membres francophones.",
        "#00838f",
        kind="question",
        language="fr",
        moderators=("camille",),
    ),
    DemoCategory(
        "introductions",
        "Introduce yourself",
        "New here? Say hello. Posts of brand-new members are checked by a moderator first.",
        "#546e7a",
        pre_moderated=True,
    ),
]

COMMUNITY_TOPICS: list[T] = [
    # --- Announcements ----------------------------------------------------------------------
    T(
        "announcements",
        "camille",
        "Welcome to the Kettlebrook community!",
        """Hello everyone, and welcome! 👋

This is the place to **ask questions**, share tips and tell us what Kettlebrook should build
next. A few house rules:

1. Be kind. Disagree with ideas, not with people.
2. Search before you ask: someone may already have descaled that exact kettle.
3. Questions go in the product categories or in *Help & support*; mark the answer that
   solved your problem as accepted, it helps the next person.
4. Official answers from the Kettlebrook team carry a badge.

Les francophones ont leur catégorie : *Entraide en français*. À bientôt !

— Camille, community manager""",
        days=60,
        tags=("welcome",),
        votes="+alice +bob +chloe +david +lucas +ines",
        status=("pinned_globally",),
        replies=(
            R("alice", "Thanks Camille! Happy to help with anything Aurora-related.", hours=2),
            R("lucas", "Merci pour l'accueil ! 🙂", hours=5),
            R("bob", "Finally a proper place for espresso talk. ☕", votes="+alice", hours=20),
        ),
    ),
    T(
        "announcements",
        "sophie",
        "Aurora firmware 2.3: quieter boil and a new 80 °C preset",
        """Firmware **2.3** for the Aurora Classic and Aurora Mini is rolling out this week.

| Change | Classic | Mini |
|:--|:-:|:-:|
| Quieter boil (new heating curve) | ✔ | ✔ |
| 80 °C preset for oolong | ✔ | ✔ |
| Keep-warm up to 60 minutes | ✔ | — |
| Fix: display flicker at 100 °C | ✔ | ✔ |

The update installs itself when the kettle is on its base and connected to the app. If
anything looks odd afterwards, reply here and mention the model.""",
        days=12,
        tags=("aurora", "firmware"),
        votes="+alice +bob +david +ines +emma",
        official=True,
        replies=(
            R(
                "bob",
                "Does the quieter boil make it slower? My mornings are timed to the second.",
                votes="+david",
            ),
            R(
                "sophie",
                "About 4 seconds slower for a full litre, in our tests. We chose silence. 🤫",
                quote=1,
                official=True,
                votes="+bob +alice +chloe",
            ),
            R("david", "Updated last night, no issue so far on my Mini."),
        ),
    ),
    T(
        "announcements",
        "camille",
        "Nouveau : le forum parle aussi français",
        """Bonne nouvelle : la communauté Kettlebrook a désormais une catégorie **Entraide en
français**. Posez-y vos questions, l'équipe support francophone (coucou @thomas) y répond.

Les règles restent les mêmes : bienveillance, recherche avant de poster, et on marque la
réponse qui a résolu le problème.""",
        days=45,
        tags=("welcome",),
        votes="+chloe +lucas +ines",
        replies=(
            R("chloe", "Super, merci ! Ça va m'éviter de tout traduire dans ma tête.", hours=1),
            R("ines", "Enfin ! 🎉", hours=4),
        ),
    ),
    # --- Aurora kettles ---------------------------------------------------------------------
    T(
        "aurora-kettles",
        "emma",
        "My Aurora whistles at 90 °C. Is that normal?",
        """I just got my first Aurora Classic (love it!) but when I pick the 90 °C preset it makes
a high whistle for a few seconds before it clicks off. At 100 °C it's silent.

Is my kettle faulty, or is this expected?""",
        days=9,
        kind="question",
        tags=("aurora", "noise"),
        votes="+alice +noah",
        replies=(
            R(
                "alice",
                "Mine did that too. It's usually limescale on the element: the water boils "
                "unevenly. When did you last descale?",
                votes="+emma",
            ),
            R(
                "sophie",
                """Hi @emma, thanks for the detailed description!

A short whistle at 85–95 °C is the sound of steam bubbles collapsing in cooler water above
the element. It's harmless, and firmware **2.3** makes it much quieter. If it lasts more than
10 seconds or happens at every temperature, contact support and we'll swap the kettle.""",
                official=True,
                votes="+emma +alice +bob",
                hours=6,
            ),
            R("emma", "Updated the firmware and it's way quieter. Thank you both!", hours=20),
        ),
        accept=1,
    ),
    T(
        "aurora-kettles",
        "alice",
        "Descaling the Aurora: citric acid vs vinegar",
        """I've tried both for a year, here is my comparison:

| Method | Dose | Time | Smell | Verdict |
|---|---|---|---|---|
| Citric acid | 1 tbsp / 500 ml | 20 min | none | ⭐ best |
| White vinegar | 1:1 with water | 1 h | strong | works, rinse 3× |
| Descaling tablets | 1 tablet | 15 min | none | pricey |

Citric acid wins: no smell, cheap, and it doesn't attack the seal. Boil, wait 20 minutes,
rinse twice. Never use vinegar on the *Mini*: the manual says the gasket doesn't like it.""",
        days=30,
        tags=("aurora", "descaling"),
        votes="+bob +chloe +david +emma +ines +lucas +noah",
        replies=(
            R(
                "bob",
                "Same conclusion for my Barista One. Citric acid all the way.",
                votes="+alice",
            ),
            R(
                "chloe",
                "Je confirme pour l'acide citrique. Avec notre eau très calcaire, je le fais "
                "toutes les deux semaines.",
                votes="+alice +ines",
                hours=10,
            ),
            R(
                "david",
                "How often do you do it, Alice? Every month?",
                reply_to=0,
                hours=30,
            ),
            R(
                "alice",
                "Monthly here (medium-hard water). If you see white flakes, it's time.",
                reply_to=3,
                votes="+david",
                hours=2,
            ),
        ),
        edit=(
            """I've tried both for a year, here is my comparison:

| Method | Dose | Time | Smell | Verdict |
|---|---|---|---|---|
| Citric acid | 1 tbsp / 500 ml | 20 min | none | ⭐ best |
| White vinegar | 1:1 with water | 1 h | strong | works, rinse 3× |
| Descaling tablets | 1 tablet | 15 min | none | pricey |

Citric acid wins: no smell, cheap, and it doesn't attack the seal. Boil, wait 20 minutes,
rinse twice. Never use vinegar on the *Mini*: the manual says the gasket doesn't like it.

**Edit:** thanks @bob, it works the same for the Barista One.""",
            "added Bob's tip",
        ),
    ),
    T(
        "aurora-kettles",
        "ines",
        "Keep-warm mode: how long is it safe for green tea water?",
        "Is it fine to keep water at 80 °C for an hour for my sencha, or does it get flat?",
        days=6,
        kind="question",
        tags=("aurora", "tea"),
        votes="+alice",
        replies=(
            R(
                "alice",
                "Water loses dissolved oxygen the longer it stays hot, so tea tastes flatter. "
                "I'd say 20–30 minutes max, then refill with fresh water.",
                votes="+ines +bob +chloe",
            ),
        ),
        accept=0,
    ),
    T(
        "aurora-kettles",
        "david",
        "The lid hinge cracked after 8 months",
        """The plastic hinge of my Aurora Classic lid cracked this morning (photo below).
I don't think I was rough with it. Is that covered?

![cracked hinge](https://images.example.net/hinge.jpg)""",
        days=20,
        kind="question",
        tags=("aurora", "warranty"),
        replies=(
            R(
                "thomas",
                """Sorry about that, David. The hinge is covered by the **2-year warranty**. Open a
request at support with your order number and the photo; we ship a new lid within a week,
you don't need to send the kettle back.""",
                official=True,
                votes="+david +alice",
            ),
            R("david", "Lid received today. Great service, thanks @thomas!", hours=120),
        ),
        accept=0,
    ),
    T(
        "aurora-kettles",
        "noah",
        "Aurora Mini or Aurora Classic for a two-person household?",
        "We drink tea twice a day, mostly 2 cups at a time. Is the Mini enough?",
        days=3,
        kind="question",
        tags=("aurora", "buying-advice"),
        replies=(
            R(
                "alice",
                "The Mini (0.8 l) is plenty for two mugs and boils faster. Take the Classic only "
                "if you host often or make a big teapot.",
                votes="+noah +bob",
            ),
            R("bob", "+1, and the Mini fits under any tap to fill it.", hours=8),
        ),
    ),
    T(
        "aurora-kettles",
        "alice",
        "The temperature presets I use for every tea",
        """After a lot of cups, my cheat sheet:

| Tea | Preset | Steep |
|---|---|---|
| Japanese green (sencha) | 70 °C | 1 min |
| Chinese green | 80 °C | 2 min |
| Oolong | 80–90 °C | 3 min |
| Black | 100 °C | 4 min |
| Herbal | 100 °C | 5+ min |

The new 80 °C preset of firmware 2.3 is perfect for oolong. What are yours?""",
        days=10,
        tags=("aurora", "tea"),
        votes="+ines +chloe +emma +bob +noah",
        replies=(
            R("ines", "Gyokuro at 60 °C, manual mode. Worth the wait!", votes="+alice"),
            R("chloe", "Rooibos à 100 °C, 6 minutes, avec un peu de miel. 🍯", hours=12),
        ),
    ),
    # --- Barista One -------------------------------------------------------------------------
    T(
        "barista-one",
        "bob",
        "Barista One shows E04 after descaling",
        """Ran the descaling program last night; since then the display shows **E04** and
nothing happens. Log from the service menu:

```
E04 FLOW_SENSOR_TIMEOUT
pump=on flow=0.0ml/s temp=92C
```

Water tank is full. Any idea?""",
        days=15,
        kind="question",
        tags=("barista-one", "error-code", "descaling"),
        votes="+david",
        replies=(
            R(
                "thomas",
                """E04 after descaling almost always means an **air bubble in the pump**.

1. Remove the water tank and put it back firmly.
2. Open the steam knob.
3. Hold *Hot water* for 10 seconds until water flows.

If E04 comes back, the flow sensor may be blocked by scale: reply here and we'll organise a
repair.""",
                official=True,
                votes="+bob +david +ines",
            ),
            R("bob", "Step 3 did it. Back to espresso. Thanks!", hours=1),
        ),
        accept=0,
        edit=(
            """Ran the descaling program last night; since then the display shows **E04** and
nothing happens. Log from the service menu:

```
E04 FLOW_SENSOR_TIMEOUT
pump=on flow=0.0ml/s temp=92C
```

Water tank is full, and I already tried unplugging it for 10 minutes. Any idea?""",
            "mention what I already tried",
        ),
    ),
    T(
        "barista-one",
        "david",
        "Best grind size for the Barista One?",
        "I'm using pre-ground coffee and the shots run way too fast (10 s). Should I grind finer?",
        days=18,
        kind="question",
        tags=("barista-one", "espresso", "grind"),
        replies=(
            R(
                "bob",
                """Yes: pre-ground supermarket coffee is usually too coarse for espresso. Aim for
**25–30 s for 36 g out from 18 g in**. With the built-in grinder start at setting 5 and go
one step finer until the timing is right.""",
                votes="+david +alice +lucas",
            ),
            R("lucas", "Also tamp evenly, it changed everything for me.", hours=5),
        ),
        accept=0,
    ),
    T(
        "barista-one",
        "chloe",
        "Milk frother too weak since the last update?",
        "Since the March update my milk foam is much less dense. Anyone else?",
        days=8,
        tags=("barista-one", "milk"),
        replies=(
            R("ines", "Same here! I thought it was my milk.", votes="+chloe"),
            R(
                "noah",
                "Maybe learn to froth properly before complaining, it's not rocket science.",
                hours=2,
            ),
            R(
                "thomas",
                "Thanks for the reports. We reproduced it: the steam pressure curve changed. A fix "
                "is planned for the next update. Workaround: purge the wand for 3 s first.",
                official=True,
                votes="+chloe +ines",
                hours=30,
            ),
        ),
        hide=((1, "marc", "Personal attack: please keep it friendly."),),
    ),
    T(
        "barista-one",
        "bob",
        "Tutorial: dialing in espresso on the Barista One",
        """## What you need

- fresh beans (roasted 1–4 weeks ago)
- a scale with 0.1 g precision
- 15 minutes and some patience

## The recipe

1. **Dose** 18 g in the double basket.
2. **Yield** 36 g in the cup (ratio 1:2).
3. **Time** 25–30 s from pressing the button.

Too fast → grind finer. Too slow → grind coarser. Change *one* thing at a time.

> Sour = under-extracted, bitter = over-extracted.

Happy brewing! ☕""",
        days=40,
        tags=("barista-one", "espresso", "tutorial"),
        votes="+alice +david +lucas +chloe +ines +sophie",
        status=("pinned",),
        replies=(
            R("david", "Bookmarked. This should be in the manual!", votes="+bob"),
            R(
                "sophie",
                "We'd love to link this from the product page, @bob, if you agree. 🙂",
                hours=48,
            ),
            R("bob", "Of course, go ahead!", reply_to=2, hours=3),
        ),
    ),
    T(
        "barista-one",
        "noah",
        "Is the Barista One water filter worth it?",
        "The filter cartridges are not cheap. Do they really protect the machine?",
        days=1.5,
        kind="question",
        tags=("barista-one", "filters"),
    ),
    # --- Crisp toasters -----------------------------------------------------------------------
    T(
        "crisp-toasters",
        "david",
        "Crisp 4-slot: uneven browning on the left slots",
        "The two left slots toast darker than the right ones at the same setting. Normal?",
        days=25,
        kind="question",
        tags=("crisp", "browning"),
        replies=(
            R(
                "thomas",
                "Each pair of slots has its own element. Run the *calibration* (hold Cancel + "
                "Bagel for 5 s, empty toaster) and the browning evens out.",
                official=True,
                votes="+david +chloe",
            ),
            R("david", "Calibration fixed it. 👍", hours=4),
        ),
        accept=0,
    ),
    T(
        "crisp-toasters",
        "emma",
        "Bagel mode: which side gets toasted?",
        "Do I put the cut side facing in or out?",
        days=5,
        kind="question",
        tags=("crisp", "bagel"),
        replies=(
            R(
                "alice",
                "Cut side facing **inwards**, towards the centre: bagel mode heats the inner "
                "elements fully and the outer ones gently.",
                votes="+emma +chloe",
            ),
        ),
        accept=0,
    ),
    T(
        "crisp-toasters",
        "noah",
        "Crumb tray stuck",
        "The crumb tray won't slide out anymore. I don't want to break it.",
        days=2,
        kind="question",
        tags=("crisp",),
        replies=(
            R(
                "chloe",
                "Unplug it, let it cool, then tilt the toaster backwards a little while pulling: "
                "usually a crust is blocking the rail.",
            ),
        ),
    ),
    T(
        "crisp-toasters",
        "chloe",
        "The Crisp after one month: my review",
        """I replaced a 15-year-old toaster with the Crisp 2-slot. Quick review:

- **Browning**: very even after calibration, 7 levels is plenty.
- **Frozen mode**: genius, see below.
- **Noise**: the pop-up is quieter than expected.
- **Minus**: the slots are a bit narrow for thick homemade bread.

| | Old toaster | Crisp |
|---|---|---|
| Even browning | 😕 | 😀 |
| Frozen bread | burnt outside | perfect |
| Price | — | fair |""",
        days=14,
        tags=("crisp", "review"),
        votes="+alice +david +ines +lucas",
        replies=(R("lucas", "Merci pour le retour, j'hésitais justement !", hours=6),),
    ),
    T(
        "crisp-toasters",
        "ines",
        "Frozen bread setting is genius",
        "Straight from the freezer to perfect toast. That's all, I just wanted to say it. 😄",
        days=4,
        tags=("crisp",),
        votes="+chloe +alice",
    ),
    # --- Help & support -----------------------------------------------------------------------
    T(
        "help",
        "lucas",
        "How do I register my product for the warranty?",
        "I bought an Aurora in a shop. Do I need to register it somewhere?",
        days=22,
        tags=("warranty",),
        replies=(
            R(
                "thomas",
                "Keep your receipt: it is your warranty. Registering in the app is optional but "
                "speeds up support, since we then see the serial number.",
                official=True,
                votes="+lucas +ines",
            ),
        ),
        accept=0,
    ),
    T(
        "help",
        "ines",
        "Where can I buy replacement filters in Belgium?",
        "The online shop doesn't ship filters to Belgium. Any retailer?",
        days=11,
        tags=("filters", "spare-parts"),
        replies=(
            R(
                "thomas",
                "Shipping to Belgium opens next month. Meanwhile most partner stores stock them; "
                "I'll send you the list by private message.",
                official=True,
            ),
        ),
    ),
    T(
        "help",
        "david",
        "Order shipped but no tracking number",
        "Order shipped three days ago, still no tracking e-mail. Who should I contact?",
        days=35,
        tags=("delivery",),
        status=("closed",),
        replies=(
            R(
                "thomas",
                "Found it: the carrier e-mail bounced. I've sent you the tracking number "
                "directly. Closing this topic, feel free to open a new one if needed.",
                official=True,
                votes="+david",
            ),
        ),
        accept=0,
    ),
    T(
        "help",
        "bob",
        "Can I use the Aurora in a camper van with a 12 V inverter?",
        "My inverter gives 1500 W. The Aurora is rated 2200 W. Will it just boil slower?",
        days=0.6,
        tags=("aurora", "power"),
    ),
    T(
        "help",
        "alice",
        "Spare part: lid seal for the Barista One",
        "Where do I find the reference of the lid seal? Mine is getting brittle.",
        days=27,
        tags=("barista-one", "spare-parts"),
        replies=(
            R(
                "thomas",
                "It's part **BO-SEAL-07**, in the spare parts shop under *Barista One > Seals*.",
                official=True,
                votes="+alice",
            ),
        ),
        accept=0,
    ),
    # --- Ideas --------------------------------------------------------------------------------
    T(
        "ideas",
        "chloe",
        "A 'cool down to 70 °C' mode for baby formula",
        """Parents need water boiled (to sterilise) and then cooled to 70 °C for formula. Today
I boil and wait with a thermometer. The Aurora could boil, then hold at 70 °C and beep.""",
        days=28,
        tags=("aurora", "feature-request"),
        votes="+alice +bob +david +emma +ines +lucas +noah +sophie",
        replies=(
            R("emma", "Yes please! 3 a.m. me would love this.", votes="+chloe"),
            R(
                "sophie",
                "Great idea and lots of votes, we're looking into it for a future firmware. 👀",
                official=True,
                votes="+chloe +emma",
                hours=72,
            ),
        ),
    ),
    T(
        "ideas",
        "david",
        "Phone notification when the water has boiled",
        "The app knows when the kettle clicks off. A push notification would be handy.",
        days=16,
        tags=("app", "feature-request"),
        votes="+bob +noah +lucas",
        replies=(R("bob", "And one for the Barista One when the shot is done!"),),
    ),
    T(
        "ideas",
        "noah",
        "A travel version of the Crisp",
        "A tiny 1-slot Crisp for holiday flats, with a dual-voltage switch.",
        days=7,
        tags=("crisp", "feature-request"),
        votes="+ines",
    ),
    T(
        "ideas",
        "ines",
        "Show the descaling schedule in the app",
        "Based on the water hardness I enter, the app could remind me when to descale.",
        days=19,
        tags=("app", "descaling"),
        votes="+alice +chloe +david +lucas",
        replies=(
            R(
                "alice",
                "Could even estimate it from how many litres were boiled.",
                votes="+ines +david",
            ),
        ),
    ),
    T(
        "ideas",
        "alice",
        "Recyclable water filter cartridges",
        "Let us send used cartridges back for recycling, like coffee capsules.",
        days=33,
        tags=("filters", "sustainability"),
        votes="+bob +chloe +david +emma +ines +lucas +noah",
        replies=(R("lucas", "Ou une cartouche rechargeable avec des billes de résine en vrac ?"),),
    ),
    T(
        "ideas",
        "lucas",
        "An optional longer power cord",
        "The base cord is 75 cm; my socket is just too far away. A 1.5 m option would help.",
        days=9,
        tags=("accessories",),
        votes="+david",
    ),
    # --- Entraide en français ---------------------------------------------------------------
    T(
        "entraide",
        "chloe",
        "Ma bouilloire Aurora siffle à 90 °C",
        """Bonjour à tous,

Ma bouilloire **Aurora** siffle quelques secondes quand je choisis 90 °C, mais pas à 100 °C.
Est-ce que c'est normal ou faut-il la faire réparer ?""",
        days=13,
        tags=("aurora", "bruit"),
        votes="+lucas",
        replies=(
            R(
                "thomas",
                """Bonjour Chloé ! C'est normal : à 85–95 °C, les bulles de vapeur éclatent dans
l'eau plus froide au-dessus de la résistance. Le firmware **2.3** rend ce bruit bien plus discret.
Si le sifflement dure plus de 10 secondes, contactez le support.""",
                official=True,
                votes="+chloe +lucas +ines",
            ),
            R("chloe", "Mise à jour faite, c'est beaucoup mieux. Merci !", hours=10),
        ),
        accept=0,
    ),
    T(
        "entraide",
        "lucas",
        "Détartrage : quelle fréquence avec une eau très calcaire ?",
        "J'habite en région parisienne, l'eau est très dure. Tous les combien détartrer ?",
        days=21,
        tags=("detartrage",),
        replies=(
            R(
                "ines",
                """Avec une eau très dure (> 30 °f), je conseille :

| Appareil | Fréquence |
|---|---|
| Bouilloire | toutes les 2 semaines |
| Barista One | tous les mois |

Acide citrique, 1 cuillère à soupe pour 500 ml.""",
                votes="+lucas +chloe +alice",
            ),
            R("camille", "Merci @ines pour ce tableau très clair ! 👏", hours=5),
        ),
        accept=0,
    ),
    T(
        "entraide",
        "ines",
        "Le Barista One affiche E04, que faire ?",
        "Après un détartrage, erreur E04. La cuve est pleine. Une idée ?",
        days=8,
        tags=("barista-one", "erreur"),
        replies=(
            R(
                "thomas",
                "E04 = bulle d'air dans la pompe. Retirez et remettez le réservoir, ouvrez la buse "
                "vapeur, puis maintenez *Eau chaude* 10 secondes. Voir aussi le sujet anglais.",
                official=True,
                votes="+ines",
            ),
            R("ines", "Ça marche, merci beaucoup !", hours=2),
        ),
        accept=0,
    ),
    T(
        "entraide",
        "lucas",
        "Grille-pain Crisp : quel réglage pour une baguette ?",
        "Une demi-baguette coupée en deux, quel niveau utilisez-vous ?",
        days=4,
        kind="discussion",
        tags=("crisp",),
        replies=(
            R("chloe", "Niveau 3, et mode *réchauffer* si elle est de la veille. 🥖"),
            R("camille", "Niveau 4 chez moi, j'aime quand c'est bien doré.", hours=3),
        ),
    ),
    T(
        "entraide",
        "camille",
        "Présentez-vous : le fil des nouveaux membres",
        "Nouveau sur le forum ? Dites-nous qui vous êtes et quel appareil Kettlebrook vous "
        "utilisez !",
        days=44,
        kind="discussion",
        status=("pinned",),
        replies=(
            R("chloe", "Chloé, Lyon, fan du Crisp et de thé vert. Bonjour à tous !"),
            R(
                "lucas",
                "Lucas, Paris. Barista One depuis un an, toujours en apprentissage.",
                hours=30,
            ),
            R("ines", "Inès, Bruxelles. Aurora Mini + beaucoup trop de thé.", hours=50),
        ),
    ),
    T(
        "entraide",
        "chloe",
        "Problème de livraison en Suisse",
        "Ma commande est bloquée à la douane depuis une semaine. Qui contacter ?",
        days=38,
        tags=("livraison",),
        status=("locked",),
        replies=(
            R(
                "thomas",
                "Les frais de douane sont à notre charge : je débloque le colis avec le "
                "transporteur. Je verrouille le sujet, la suite se passe par message privé.",
                official=True,
                votes="+chloe",
            ),
        ),
        accept=0,
    ),
    # --- Introduce yourself (pre-moderated) ---------------------------------------------------
    T(
        "introductions",
        "camille",
        "Introduce yourself here!",
        "Tell us who you are and which Kettlebrook gadgets live in your kitchen. First posts of "
        "brand-new members are checked by a moderator before they appear: no worries if yours "
        "takes a moment.",
        days=50,
        status=("pinned",),
        replies=(
            R("alice", "Alice, tea addict, owner of every Aurora ever made. Hi all!"),
            R("bob", "Bob. Espresso. That's it. ☕", hours=20),
        ),
    ),
    T(
        "introductions",
        "lucas",
        "Hello from Lyon!",
        "Hi everyone, Lucas here. Happy Barista One owner, still learning latte art.",
        days=17,
        replies=(
            R("alice", "Welcome Lucas! Post a picture of your first heart. ❤️"),
            R("emma", "Welcome! I'm new too.", hours=10),
        ),
    ),
    T(
        "introductions",
        "emma",
        "Hi, I'm Emma, new Aurora owner",
        "Hello! I just joined. I love tea and I'm learning all the temperature presets.",
        days=0.3,
    ),
    T(
        "introductions",
        "noah",
        "Noah here, just browsing",
        "Hey, I'm Noah. Thinking about buying a Crisp. Nice to meet you all.",
        days=0.2,
    ),
]

# Members following things, and where some demo logins stopped reading ("N new" in lists).
COMMUNITY_SUBSCRIPTIONS = [
    ("alice", "aurora-kettles", 3),
    ("bob", "barista-one", 3),
    ("chloe", "entraide", 2),
    ("camille", "introductions", 3),
    ("sophie", "ideas", 3),
    ("thomas", "help", 3),
]
COMMUNITY_READS = [
    # (username, topic title, posts left unread)
    ("alice", "Descaling the Aurora: citric acid vs vinegar", 2),
    ("alice", "Aurora firmware 2.3: quieter boil and a new 80 °C preset", 1),
    ("bob", "Tutorial: dialing in espresso on the Barista One", 2),
    ("chloe", "Détartrage : quelle fréquence avec une eau très calcaire ?", 1),
    ("emma", "My Aurora whistles at 90 °C. Is that normal?", 0),
]


def _users_by_name() -> dict[str, User]:
    return {
        user.username: user
        for user in User.objects.filter(username__in=[p.username for p in PEOPLE])
    }


def _cast_votes(post, spec: str, users: dict[str, User]) -> None:
    from community import services as community_services

    for token in spec.split():
        voter = users[token[1:]]
        if voter.pk == post.author_id:
            continue  # the story may list the author among fans; they cannot vote for themselves
        community_services.vote_cast(actor=voter, post=post, value=1 if token[0] == "+" else -1)


def _backdate(topic, *, days: float, gaps_hours: list[float]) -> None:
    """Move a freshly created topic (and its posts and votes) back in time.

    Only timestamps change; the hot score is recomputed from the new creation time."""
    from community.models import Post, Topic, Vote
    from community.ranking import hot_score

    now = timezone.now()
    start = now - timedelta(days=days)
    posts = list(topic.posts.order_by("number"))
    when = start
    last_visible = start
    last_poster = topic.author_name
    for post, gap in zip(posts, [0.0, *gaps_hours], strict=True):
        when = min(when + timedelta(hours=gap), now - timedelta(minutes=5))
        Post.objects.filter(pk=post.pk).update(created_at=when)
        Vote.objects.filter(post=post).update(created_at=min(when + timedelta(hours=2), now))
        if post.state == "visible":
            last_visible, last_poster = when, post.author_name
    topic.refresh_from_db(fields=["score"])
    Topic.objects.filter(pk=topic.pk).update(
        created_at=start,
        last_activity_at=last_visible,
        last_poster_name=last_poster,
        hot=hot_score(topic.score, start),
    )


def _seed_demo_topic(spec: T, categories: dict, users: dict[str, User]) -> None:
    from community import services as community_services
    from community.rendering import quote_block

    author = users[spec.author]
    topic = community_services.topic_create(
        actor=author,
        category=categories[spec.category],
        title=spec.title,
        body=spec.body,
        kind=spec.kind,
        tags=spec.tags,
        official=spec.official,
    )
    posts = [topic.posts.get(number=1)]
    _cast_votes(posts[0], spec.votes, users)
    if spec.edit is not None:
        body, note = spec.edit
        community_services.post_edit(actor=author, post=posts[0], body=body, note=note)
    for reply in spec.replies:
        body = reply.body
        if reply.quote is not None:
            quoted = posts[reply.quote]
            excerpt = quoted.body.split("\n\n")[0]
            body = (
                quote_block(username=quoted.author_name, post_id=quoted.pk, source=excerpt) + body
            )
        reply_to = posts[reply.reply_to] if reply.reply_to is not None else None
        post = community_services.post_create(
            actor=users[reply.author],
            topic=topic,
            body=body,
            reply_to=reply_to,
            official=reply.official,
        )
        posts.append(post)
        _cast_votes(post, reply.votes, users)
    for index, moderator, reason in spec.hide:
        community_services.post_hide(actor=users[moderator], post=posts[index + 1], reason=reason)
    if spec.accept is not None:
        community_services.answer_accept(actor=author, topic=topic, post=posts[spec.accept + 1])
    staff = users["camille"]
    for status in spec.status:
        if status == "pinned_globally":
            community_services.topic_pin(actor=staff, topic=topic, globally=True)
        elif status == "pinned":
            community_services.topic_pin(actor=staff, topic=topic)
        elif status == "locked":
            community_services.topic_lock(actor=staff, topic=topic)
        elif status == "closed":
            community_services.topic_close(actor=staff, topic=topic)
    _backdate(topic, days=spec.days, gaps_hours=[reply.hours for reply in spec.replies])


def _seed_community_small(progress: Callable[[str], None]) -> bool:
    """The hand-written demo. Return False when it was already there."""
    from community import services as community_services
    from community.models import Category, Topic

    if Category.objects.filter(slug=COMMUNITY_CATEGORIES[0].slug).exists():
        return False
    users = _users_by_name()
    with transaction.atomic():
        categories: dict[str, Category] = {}
        for position, spec in enumerate(COMMUNITY_CATEGORIES):
            categories[spec.slug] = community_services.category_create(
                actor=None,
                name=spec.name,
                slug=spec.slug,
                description=spec.description,
                colour=spec.colour,
                position=position,
                parent=categories.get(spec.parent) if spec.parent else None,
                default_topic_kind=spec.kind,
                read_only=spec.read_only,
                pre_moderated=spec.pre_moderated,
                language=spec.language,
                min_trust_to_start=spec.min_trust_to_start,
                moderators=[users[name] for name in spec.moderators],
            )
        # Oldest first, so that ids grow with (story) time like on a real forum.
        for spec in sorted(COMMUNITY_TOPICS, key=lambda t: -t.days):
            _seed_demo_topic(spec, categories, users)
        for username, slug, level in COMMUNITY_SUBSCRIPTIONS:
            community_services.category_subscribe(
                actor=users[username], category=categories[slug], level=level
            )
        for username, title, unread in COMMUNITY_READS:
            topic = Topic.objects.get(title=title)
            community_services.topic_read(
                actor=users[username],
                topic=topic,
                last_number=topic.highest_post_number - unread,
            )
        _categories_last_activity()
    progress(f"{len(COMMUNITY_CATEGORIES)} categories, {len(COMMUNITY_TOPICS)} demo topics")
    return True


def _categories_last_activity() -> None:
    # Backdating moved topics in time: each category's "last activity" follows its topics.
    from django.db.models import Max, OuterRef, Subquery

    from community.models import Category, Topic

    latest = (
        Topic.objects.filter(category=OuterRef("pk"), state="visible")
        .values("category")
        .annotate(last=Max("last_activity_at"))
        .values("last")
    )
    Category.objects.update(last_activity_at=Subquery(latest))


def seed_community(*, size: str, progress: Callable[[str], None]) -> None:
    """Categories, topics, replies, votes, tags and subscriptions of the Kettlebrook demo.

    ``small``: the hand-written demo through the services. ``large``: the same, then the
    benchmark data set (see :func:`seed_community_large`). Idempotent."""
    if not _seed_community_small(progress):
        progress("community demo already present")
    if size == "large":
        seed_community_large(progress=progress)


# --- Community: the large benchmark data set -------------------------------------------------
#
# Hundreds of thousands of rows cannot go through the services one by one in minutes, so this
# generator writes rows in bulk: every counter (scores, Wilson bounds, hot scores, reply counts,
# category/tag counts, reputation, statistics) is computed in Python from the generated votes
# and posts and stored in the same rows, exactly as the services would have left them —
# `manage.py recount_community` finds nothing to repair afterwards. Post HTML is rendered once
# for a pool of texts and reused. Randomness is seeded: two runs give the same community.

LARGE_MARKER_SLUG = "kettlebrook-labs"
LARGE_MEMBERS = 520
LARGE_TOPICS = 5_200
LARGE_MIN_POSTS = 100_000
LARGE_MAX_POSTS_PER_TOPIC = 186
LARGE_BATCH = 5_000
LARGE_DAYS = 730

LARGE_CATEGORIES = [
    DemoCategory(
        "aurora-mini", "Aurora Mini", "The 0.8 l Aurora.", "#3f7fd9", parent="aurora-kettles"
    ),
    DemoCategory(
        "aurora-classic", "Aurora Classic", "The 1.7 l Aurora.", "#174a96", parent="aurora-kettles"
    ),
    DemoCategory(
        "barista-milk",
        "Milk & steam",
        "Frothing, latte art, steam wands.",
        "#8d6e63",
        parent="barista-one",
    ),
    DemoCategory(
        "barista-grinders",
        "Grinders & beans",
        "Grind sizes, roasts and beans.",
        "#4e342e",
        parent="barista-one",
    ),
    DemoCategory(
        "crisp-2-slot", "Crisp 2-slot", "The compact Crisp.", "#f0a030", parent="crisp-toasters"
    ),
    DemoCategory("recipes", "Recipes & rituals", "Tea, coffee and toast, done right.", "#ad1457"),
    DemoCategory(
        "water-quality", "Water quality & descaling", "Hard water, filters, limescale.", "#0277bd"
    ),
    DemoCategory("accessories", "Accessories", "Filters, cords, cups and spare parts.", "#5d4037"),
    DemoCategory("firmware-app", "Firmware & app", "Updates and the Kettlebrook app.", "#303f9f"),
    DemoCategory("events", "Events & meetups", "Tastings, workshops and fairs.", "#c2185b"),
    DemoCategory("off-topic", "Off-topic lounge", "Anything else, kindly.", "#616161"),
    DemoCategory(
        LARGE_MARKER_SLUG,
        "Kettlebrook Labs (beta testers)",
        "Prototypes and beta firmware, for trusted members.",
        "#00695c",
        min_trust_to_start=2,
    ),
]

_FIRST_NAMES = [
    "adam",
    "anna",
    "arthur",
    "camille",
    "chloe",
    "clara",
    "david",
    "diane",
    "elena",
    "emile",
    "eva",
    "felix",
    "gabriel",
    "hana",
    "hugo",
    "ines",
    "jade",
    "jonas",
    "julia",
    "karim",
    "laura",
    "leo",
    "lina",
    "louis",
    "lucie",
    "maya",
    "milan",
    "nina",
    "noe",
    "olivia",
    "oscar",
    "paul",
    "rosa",
    "sacha",
    "sam",
    "sara",
    "simon",
    "sofia",
    "tom",
    "victor",
    "yann",
    "yasmine",
    "zoe",
]

_PRODUCTS_EN = ["Aurora", "Aurora Mini", "Barista One", "Crisp", "Crisp 2-slot", "water filter"]
_ISSUES_EN = [
    "makes a clicking noise",
    "takes longer to boil",
    "shows E04",
    "leaks from the base",
    "display flickers",
    "browning is uneven",
    "steam wand is weak",
    "lid does not close",
    "smells like plastic",
    "stopped connecting to the app",
]
_TASKS_EN = ["descale", "reset", "update the firmware of", "calibrate", "clean", "register"]
_TITLES_EN = [
    "{product} {issue}",
    "How do I {task} the {product}?",
    "My {product} {issue} after {months} months",
    "Tips to {task} the {product}",
    "{product}: worth it after {months} months?",
    "Is it normal that the {product} {issue}?",
]
_PRODUCTS_FR = ["Aurora", "Aurora Mini", "Barista One", "Crisp", "filtre à eau"]
_ISSUES_FR = [
    "fait un bruit de clic",
    "met plus de temps à chauffer",
    "affiche E04",
    "fuit par le socle",
    "brunit de façon inégale",
    "ne se connecte plus à l'appli",
]
_TITLES_FR = [
    "Mon {product} {issue}",
    "Comment détartrer le {product} ?",
    "{product} : votre avis après {months} mois ?",
    "Est-ce normal que le {product} {issue} ?",
]
_SENTENCES_EN = [
    "I have had mine for about a year and it still works like on day one.",
    "Descaling with citric acid every month made a real difference.",
    "Support answered within a day and sent a replacement part.",
    "The new firmware made the boil noticeably quieter.",
    "Hard water is the main culprit here, try a filter first.",
    "Did you try holding the reset button for ten seconds?",
    "Same problem here, following this topic.",
    "I measured it: 2 minutes 40 for a full litre.",
    "The 80 °C preset is perfect for oolong and white tea.",
    "Grind one step finer and the shot should slow down.",
    "Bagel mode only heats the inner elements at full power.",
    "The crumb tray slides out if you tilt the toaster slightly.",
    "Keep the receipt, it is all you need for the warranty.",
    "Mine came with a slightly bent hinge, exchanged without questions.",
    "The app notification arrives a few seconds after the click.",
    "Rinse twice after descaling, otherwise the first cup tastes sour.",
    "For two people the smaller model is more than enough.",
    "I would love a longer cord, my socket is too far away.",
    "Thanks, that solved it for me!",
    "Not sure it is related, but my water is very hard too.",
    "Purging the steam wand for three seconds first helps a lot.",
    "Calibration fixed the uneven browning on my unit.",
    "Frozen bread mode is the best feature of this toaster.",
    "Check that the water tank is seated firmly, it happens to me too.",
]
_SENTENCES_FR = [
    "Je l'utilise depuis un an et il marche toujours aussi bien.",
    "Un détartrage à l'acide citrique tous les mois change tout.",
    "Le support a répondu en une journée, très efficace.",
    "La nouvelle mise à jour rend l'ébullition plus silencieuse.",
    "L'eau calcaire est souvent la cause, essayez un filtre.",
    "Avez-vous essayé de maintenir le bouton reset dix secondes ?",
    "Même problème chez moi, je suis le sujet.",
    "Le préréglage 80 °C est parfait pour le thé oolong.",
    "Moudre un peu plus fin devrait ralentir l'extraction.",
    "Gardez bien le ticket de caisse, il fait office de garantie.",
    "Merci, ça a résolu mon problème !",
    "Rincez deux fois après le détartrage, sinon le café est acide.",
    "Pour deux personnes, le petit modèle suffit largement.",
    "Le mode pain congelé est vraiment génial.",
]
_TAGS = [
    "aurora",
    "barista-one",
    "crisp",
    "descaling",
    "noise",
    "firmware",
    "app",
    "warranty",
    "filters",
    "espresso",
    "milk",
    "grind",
    "tea",
    "bagel",
    "browning",
    "delivery",
    "spare-parts",
    "power",
    "review",
    "tutorial",
    "feature-request",
    "water-quality",
    "accessories",
    "recipes",
    "latte-art",
    "oolong",
    "green-tea",
    "toast",
    "beans",
    "calibration",
]


def _large_text(rng: random.Random, sentences: list[str]) -> str:
    paragraphs = [
        " ".join(rng.sample(sentences, rng.randint(1, 3))) for _ in range(rng.randint(1, 3))
    ]
    extra = rng.random()
    if extra < 0.12:
        paragraphs.append("\n".join(f"- {s}" for s in rng.sample(sentences, 3)))
    elif extra < 0.18:
        paragraphs.append("```\nE04 FLOW_SENSOR_TIMEOUT\npump=on flow=0.0ml/s\n```")
    elif extra < 0.22:
        paragraphs.append("| Setting | Time |\n|---|---|\n| 80 °C | 2 min |\n| 100 °C | 3 min |")
    elif extra < 0.30:
        paragraphs.append(f"> {rng.choice(sentences)}")
    if rng.random() < 0.25:
        first, _dot, rest = paragraphs[0].partition(". ")
        paragraphs[0] = f"**{first}.** {rest}" if rest else f"**{first}**"
    return "\n\n".join(paragraphs)


def _large_text_pool(rng: random.Random, size: int = 200) -> dict[str, list[tuple[str, str]]]:
    """~200 texts per language, rendered once: (markdown, html)."""
    from community.rendering import render_markdown

    pool: dict[str, list[tuple[str, str]]] = {}
    for language, sentences in (("en", _SENTENCES_EN), ("fr", _SENTENCES_FR)):
        texts = [
            _large_text(rng, sentences) for _ in range(size if language == "en" else size // 2)
        ]
        pool[language] = [(text, render_markdown(text).html) for text in texts]
    return pool


def _large_title(rng: random.Random, language: str) -> str:
    if language == "fr":
        template = rng.choice(_TITLES_FR)
        return template.format(
            product=rng.choice(_PRODUCTS_FR),
            issue=rng.choice(_ISSUES_FR),
            months=rng.randint(2, 24),
        )
    template = rng.choice(_TITLES_EN)
    return template.format(
        product=rng.choice(_PRODUCTS_EN),
        issue=rng.choice(_ISSUES_EN),
        task=rng.choice(_TASKS_EN),
        months=rng.randint(2, 24),
    )


def _large_members(rng: random.Random, count: int) -> list[User]:
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from accounts.models import UserStats

    password = make_password(DEMO_PASSWORD)  # hashed once: the same hash for every member
    joined_since = timezone.now() - timedelta(days=LARGE_DAYS)
    users = []
    for number in range(count):
        first = _FIRST_NAMES[number % len(_FIRST_NAMES)]
        username = f"{first}{number + 1:04d}"
        users.append(
            User(
                username=username,
                email=f"{username}@members.causerie.example",
                display_name=first.capitalize(),
                password=password,
                trust_level=rng.choices([0, 1, 2, 3, 4], weights=[35, 30, 22, 10, 3])[0],
                language=rng.choices(["en", "fr"], weights=[3, 1])[0],
                date_joined=joined_since + timedelta(days=rng.uniform(0, LARGE_DAYS)),
            )
        )
    users = User.objects.bulk_create(users, batch_size=LARGE_BATCH)
    group, _created = Group.objects.get_or_create(name=Role.MEMBER.value)
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=user.pk, group_id=group.pk) for user in users],
        batch_size=LARGE_BATCH,
    )
    UserStats.objects.bulk_create(
        [UserStats(user_id=user.pk) for user in users], batch_size=LARGE_BATCH
    )
    EmailAddress.objects.bulk_create(
        [EmailAddress(user_id=u.pk, email=u.email, verified=True, primary=True) for u in users],
        batch_size=LARGE_BATCH,
    )
    return users


def seed_community_large(
    *,
    progress: Callable[[str], None],
    members: int = LARGE_MEMBERS,
    topics: int = LARGE_TOPICS,
    min_posts: int = LARGE_MIN_POSTS,
    random_seed: int = 20_240_601,
) -> None:
    """Bulk-generate the benchmark community (idempotent: skipped when already there).

    Defaults: 520 members, 20 categories, 5,200 topics, 100,000+ posts (1–186 per topic,
    about 20 on average), about 2 votes per post."""
    from django.db import connection
    from django.db.models import F
    from tqdm import tqdm

    from accounts.models import UserStats
    from community import services as community_services
    from community.models import Category, Post, Tag, Topic, TopicSubscription, Vote
    from community.ranking import hot_score, wilson_lower_bound

    if Category.objects.filter(slug=LARGE_MARKER_SLUG).exists():
        progress("large data set already present")
        return
    started = time.monotonic()
    rng = random.Random(random_seed)
    reputation_rules = settings.REPUTATION
    now = timezone.now()

    with transaction.atomic():
        base = {c.slug: c for c in Category.objects.all()}
        for position, spec in enumerate(LARGE_CATEGORIES, start=len(base)):
            base[spec.slug] = community_services.category_create(
                actor=None,
                name=spec.name,
                slug=spec.slug,
                description=spec.description,
                colour=spec.colour,
                position=position,
                parent=base.get(spec.parent) if spec.parent else None,
                default_topic_kind=spec.kind,
                language=spec.language,
                min_trust_to_start=spec.min_trust_to_start,
            )
        categories = list(base.values())
        people = list(User.objects.filter(username__in=[p.username for p in PEOPLE]))
        users = people + _large_members(rng, members)
        staff_ids = {u.pk for u in people if u.username in ("sophie", "thomas")}
        names = {u.pk: u.username for u in users}
        # A few members write most posts, as on every forum.
        weights = [1 / (rank + 1) ** 0.8 for rank in range(len(users))]
        rng.shuffle(weights)
        user_ids = [u.pk for u in users]
        tags = {
            slug: Tag.objects.get_or_create(slug=slug, defaults={"name": slug})[0] for slug in _TAGS
        }
        pool = _large_text_pool(rng)
        progress(f"{len(users)} members, {len(categories)} categories, {len(pool['en'])} texts")

        # 1. Plan every topic, post and vote in memory (plain tuples: cheap).
        sizes = [
            min(LARGE_MAX_POSTS_PER_TOPIC, max(1, int(rng.lognormvariate(2.65, 0.95))))
            for _ in range(topics)
        ]
        sizes[rng.randrange(topics)] = LARGE_MAX_POSTS_PER_TOPIC
        while sum(sizes) < min_posts:
            index = rng.randrange(topics)
            sizes[index] = min(LARGE_MAX_POSTS_PER_TOPIC, sizes[index] + rng.randint(1, 20))
        starts = sorted(now - timedelta(days=rng.uniform(0.01, LARGE_DAYS)) for _ in range(topics))

        stats: dict[int, dict[str, int]] = {}
        reputation: dict[int, int] = {}

        def stat(user_id: int, name: str, amount: int = 1) -> None:
            figures = stats.setdefault(user_id, {})
            figures[name] = figures.get(name, 0) + amount

        topic_rows, plans = [], []
        category_counts = {c.pk: [0, 0] for c in categories}
        tag_counts: dict[int, int] = {}
        for index in range(topics):
            category = rng.choice(categories)
            language = category.language
            kind = category.default_topic_kind
            if kind == "discussion" and rng.random() < 0.3:
                kind = "question"
            created = starts[index]
            posts = []
            when = created
            for number in range(1, sizes[index] + 1):
                author = rng.choices(user_ids, weights=weights)[0] if number > 1 else None
                if number > 1:
                    when = min(when + timedelta(minutes=rng.expovariate(1 / 240)), now)
                votes = []
                draw = rng.random()
                count = (
                    0 if draw < 0.55 else rng.randint(1, 3) if draw < 0.85 else rng.randint(4, 12)
                )
                posts.append(
                    [number, author, when, rng.randrange(len(pool[language])), votes, count]
                )
            author = rng.choices(user_ids, weights=weights)[0]
            posts[0][1] = author
            topic_tags = rng.sample(list(tags.values()), rng.choice([0, 1, 1, 2, 3]))
            plans.append((posts, topic_tags))
            for post in posts:
                for voter in rng.sample(user_ids, post[5]):
                    if voter != post[1]:
                        post[4].append((voter, 1 if rng.random() < 0.9 else -1))
            first_up = sum(1 for _v, value in posts[0][4] if value == 1)
            first_score = first_up - (len(posts[0][4]) - first_up)
            last = posts[-1]
            title = _large_title(rng, language)
            topic_rows.append(
                Topic(
                    category=category,
                    author_id=author,
                    author_name=names[author],
                    title=title,
                    # bulk_create skips Topic.save(), which would derive the slug.
                    slug=slugify(title)[:80] or "topic",
                    kind=kind,
                    language=language,
                    created_at=created,
                    last_activity_at=last[2],
                    last_poster_name=names[last[1]],
                    reply_count=len(posts) - 1,
                    highest_post_number=len(posts),
                    view_count=len(posts) * rng.randint(3, 40),
                    score=first_score,
                    hot=hot_score(first_score, created),
                    pinned=rng.random() < 0.002,
                    closed=rng.random() < 0.02,
                )
            )
            counts = category_counts[category.pk]
            counts[0] += 1
            counts[1] += len(posts)
            for tag in topic_tags:
                tag_counts[tag.pk] = tag_counts.get(tag.pk, 0) + 1
            stat(author, "topics_created")

        # 2. Topics, then their tags and their authors' subscriptions.
        with tqdm(total=len(topic_rows), desc="topics", unit="row") as bar:
            for start in range(0, len(topic_rows), LARGE_BATCH):
                Topic.objects.bulk_create(topic_rows[start : start + LARGE_BATCH])
                bar.update(len(topic_rows[start : start + LARGE_BATCH]))
        through = Topic.tags.through
        through.objects.bulk_create(
            [
                through(topic_id=topic.pk, tag_id=tag.pk)
                for topic, (_posts, topic_tags) in zip(topic_rows, plans, strict=True)
                for tag in topic_tags
            ],
            batch_size=LARGE_BATCH,
        )
        TopicSubscription.objects.bulk_create(
            [TopicSubscription(user_id=t.author_id, topic_id=t.pk, level=3) for t in topic_rows],
            batch_size=LARGE_BATCH,
        )

        # 3. Posts and votes, batch by batch; counters computed on the way.
        total_posts = sum(sizes)
        accepted: list[tuple[Topic, list]] = []
        pending_posts: list[Post] = []
        pending_votes: list[tuple[Post, list, datetime]] = []
        vote_count = 0

        def flush(bar) -> int:
            Post.objects.bulk_create(pending_posts)
            votes = [
                Vote(
                    post_id=post.pk,
                    user_id=voter,
                    value=value,
                    created_at=min(when + timedelta(hours=1), now),
                )
                for post, post_votes, when in pending_votes
                for voter, value in post_votes
            ]
            Vote.objects.bulk_create(votes, batch_size=LARGE_BATCH)
            bar.update(len(pending_posts))
            pending_posts.clear()
            pending_votes.clear()
            return len(votes)

        with tqdm(total=total_posts, desc="posts", unit="row") as bar:
            for topic, (posts, _tags) in zip(topic_rows, plans, strict=True):
                language = topic.language
                post_objects = []
                for number, author, when, text, votes, _count in posts:
                    up = sum(1 for _voter, value in votes if value == 1)
                    down = len(votes) - up
                    body, html = pool[language][text]
                    post = Post(
                        topic_id=topic.pk,
                        number=number,
                        author_id=author,
                        author_name=names[author],
                        body=body,
                        body_html=html,
                        created_at=when,
                        score=up - down,
                        upvotes=up,
                        downvotes=down,
                        wilson=wilson_lower_bound(up, down),
                        is_official=author in staff_ids,
                    )
                    post_objects.append(post)
                    pending_posts.append(post)
                    pending_votes.append((post, votes, when))
                    stat(author, "posts_created")
                    reputation[author] = reputation.get(author, 0) + (
                        up * reputation_rules["upvote"] + down * reputation_rules["downvote"]
                    )
                    stat(author, "likes_received", up)
                    for voter, value in votes:
                        if value == 1:
                            stat(voter, "likes_given")
                if topic.kind == "question" and len(post_objects) > 1 and rng.random() < 0.5:
                    accepted.append((topic, post_objects))
                if len(pending_posts) >= LARGE_BATCH:
                    vote_count += flush(bar)
            if pending_posts:
                vote_count += flush(bar)

        # 4. Accepted answers: the best-scored reply of half the questions.
        answered = []
        for topic, post_objects in accepted:
            best = max(post_objects[1:], key=lambda p: (p.score, -p.number))
            topic.accepted_answer_id = best.pk
            answered.append(topic)
            if best.author_id != topic.author_id:
                reputation[best.author_id] = (
                    reputation.get(best.author_id, 0) + reputation_rules["accepted_answer"]
                )
        Topic.objects.bulk_update(answered, ["accepted_answer"], batch_size=1000)

        # 5. Counters of categories, tags, members (added to what the small demo left).
        for category_id, (topic_count, post_count) in category_counts.items():
            if topic_count:
                Category.objects.filter(pk=category_id).update(
                    topic_count=F("topic_count") + topic_count,
                    post_count=F("post_count") + post_count,
                )
        _categories_last_activity()
        for tag_id, count in tag_counts.items():
            Tag.objects.filter(pk=tag_id).update(topic_count=F("topic_count") + count)
        members_by_id = {u.pk: u for u in users[len(people) :]}
        for user_id, amount in reputation.items():
            if user_id in members_by_id:
                members_by_id[user_id].reputation = amount
        User.objects.bulk_update(list(members_by_id.values()), ["reputation"], batch_size=1000)
        for person in people:
            if reputation.get(person.pk):
                User.objects.filter(pk=person.pk).update(
                    reputation=F("reputation") + reputation[person.pk]
                )
        rows = list(UserStats.objects.filter(user_id__in=stats))
        for row in rows:
            for name, amount in stats[row.user_id].items():
                setattr(row, name, getattr(row, name) + amount)
        UserStats.objects.bulk_update(
            rows,
            ["topics_created", "posts_created", "likes_given", "likes_received"],
            batch_size=1000,
        )

    # 6. Full-text vectors in one statement (PostgreSQL), the same the services compute.
    if connection.vendor == "postgresql":
        vectors_started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(_LARGE_SEARCH_VECTOR_SQL)
            # Fresh statistics: without them the planner believes the tables are empty and
            # picks nested loops that make a common search word take seconds.
            cursor.execute("ANALYZE")
        progress(f"search vectors and statistics: {time.monotonic() - vectors_started:.0f} s")
    elapsed = time.monotonic() - started
    progress(
        f"large community: {len(users)} members, {len(categories)} categories, "
        f"{len(topic_rows):,} topics, {total_posts:,} posts, {vote_count:,} votes "
        f"in {elapsed:.0f} s"
    )


_LARGE_SEARCH_VECTOR_SQL = """
UPDATE community_post AS p
SET search_vector =
    CASE WHEN p.number = 1
         THEN setweight(to_tsvector(c.cfg, COALESCE(t.title, '')), 'A')
         ELSE ''::tsvector END
    || setweight(to_tsvector(c.cfg, COALESCE(p.body, '')), 'B')
FROM community_topic AS t,
     LATERAL (SELECT CASE WHEN t.language = 'fr' THEN 'french'::regconfig
                          ELSE 'english'::regconfig END AS cfg) AS c
WHERE p.topic_id = t.id AND p.search_vector IS NULL
"""


STEPS: list[Callable[..., None]] = [seed_people, seed_community, seed_ideas, seed_insights]


def seed(*, size: str = "small", progress: Callable[[str], None] = print) -> None:
    for step in STEPS:
        step(size=size, progress=progress)


def demo_logins() -> list[tuple[str, str]]:
    return [(p.username, str(p.role.label)) for p in PEOPLE]
