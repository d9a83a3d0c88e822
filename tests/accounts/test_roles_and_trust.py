import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts import permissions, services
from accounts.models import TrustLevelChange, UserStats
from accounts.trust import missing_for, trust_level_for
from tests.factories import UserFactory

REQUIREMENTS = {
    1: {"topics_entered": 5, "posts_read": 30},
    2: {"days_visited": 15, "posts_read": 100},
    3: {"days_visited": 50},
}


def test_trust_level_for_needs_every_figure_of_every_lower_level():
    assert trust_level_for({}, REQUIREMENTS) == 0
    assert trust_level_for({"topics_entered": 5, "posts_read": 29}, REQUIREMENTS) == 0
    assert trust_level_for({"topics_entered": 5, "posts_read": 30}, REQUIREMENTS) == 1
    # Level 3's own figure alone is not enough: level 2 is not met.
    assert (
        trust_level_for({"topics_entered": 5, "posts_read": 30, "days_visited": 60}, REQUIREMENTS)
        == 1
    )
    assert (
        trust_level_for({"topics_entered": 9, "posts_read": 100, "days_visited": 50}, REQUIREMENTS)
        == 3
    )


def test_missing_for_lists_what_is_short():
    assert missing_for({"posts_read": 40}, REQUIREMENTS, 2) == {
        "days_visited": 15,
        "posts_read": 60,
    }


@pytest.mark.django_db
def test_roles_exist_with_their_permissions():
    perms = {
        g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()
    }
    assert perms["Member"] == set()
    assert perms["Moderator"] == {"moderate", "view_insights", "manage_trust_levels"}
    assert perms["Brand staff"] == {"answer_officially", "view_insights"}
    assert "administer" in perms["Administrator"]


@pytest.mark.django_db
def test_permission_questions_by_role():
    member = UserFactory()
    moderator = UserFactory(moderator=True)
    staff = UserFactory(brand_staff=True)
    admin = UserFactory(administrator=True)

    assert [permissions.is_moderator(u) for u in (member, moderator, staff, admin)] == [
        False,
        True,
        False,
        True,
    ]
    assert [permissions.is_brand_staff(u) for u in (member, moderator, staff, admin)] == [
        False,
        False,
        True,
        True,
    ]
    assert not permissions.can_view_insights(member)
    assert permissions.can_view_insights(staff)
    assert permissions.role_names(admin)[0] == "Administrator"


@pytest.mark.django_db
def test_staff_pass_trust_gates_members_need_the_level():
    member = UserFactory(trust_level=1)
    moderator = UserFactory(moderator=True, trust_level=0)
    assert permissions.has_trust_level(member, 1)
    assert not permissions.has_trust_level(member, 2)
    assert permissions.has_trust_level(moderator, 4)


@pytest.mark.django_db
def test_promotion_raises_level_when_figures_reached(settings):
    settings.TRUST_LEVEL_REQUIREMENTS = REQUIREMENTS
    ready = UserFactory(trust_level=0)
    not_ready = UserFactory(trust_level=0)
    UserStats.objects.filter(user=ready).update(topics_entered=6, posts_read=31)

    promoted = services.trust_levels_promote()

    ready.refresh_from_db()
    not_ready.refresh_from_db()
    assert promoted == 1
    assert ready.trust_level == 1
    assert not_ready.trust_level == 0
    assert TrustLevelChange.objects.get(user=ready).reason == "automatic promotion"


@pytest.mark.django_db
def test_promotion_leaves_locked_members_and_never_demotes(settings):
    settings.TRUST_LEVEL_REQUIREMENTS = REQUIREMENTS
    locked = UserFactory(trust_level=0, trust_level_locked=True)
    high = UserFactory(trust_level=2)
    UserStats.objects.filter(user=locked).update(topics_entered=99, posts_read=999)

    assert services.trust_levels_promote() == 0
    locked.refresh_from_db()
    high.refresh_from_db()
    assert (locked.trust_level, high.trust_level) == (0, 2)


@pytest.mark.django_db
def test_trust_level_set_by_moderator_locks_and_records():
    moderator = UserFactory(moderator=True)
    member = UserFactory(trust_level=1)

    services.trust_level_set(
        actor=moderator, member=member, level=3, locked=True, reason="helps a lot"
    )

    member.refresh_from_db()
    assert (member.trust_level, member.trust_level_locked) == (3, True)
    change = TrustLevelChange.objects.get(user=member)
    assert (change.old_level, change.new_level, change.changed_by_name) == (
        1,
        3,
        moderator.username,
    )


@pytest.mark.django_db
def test_members_and_self_cannot_set_trust_levels():
    member = UserFactory()
    other = UserFactory()
    moderator = UserFactory(moderator=True)
    with pytest.raises(PermissionDenied):
        services.trust_level_set(actor=member, member=other, level=4, locked=False)
    with pytest.raises(PermissionDenied):
        services.trust_level_set(actor=moderator, member=moderator, level=4, locked=False)
    assert not TrustLevelChange.objects.exists()


@pytest.mark.django_db
def test_trust_level_web_form_refuses_members_with_403(client):
    member = UserFactory()
    other = UserFactory(username="target")
    client.force_login(member)
    response = client.post(reverse("accounts:trust_level", args=["target"]), {"level": 4})
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.trust_level == 1


@pytest.mark.django_db
def test_trust_level_web_form_rejects_bad_level_without_change(client):
    moderator = UserFactory(moderator=True)
    target = UserFactory(username="target")
    client.force_login(moderator)
    response = client.post(reverse("accounts:trust_level", args=["target"]), {"level": 9})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.trust_level == 1


@pytest.mark.django_db
def test_visits_count_once_per_day(client):
    member = UserFactory()
    client.force_login(member)
    for _ in range(3):
        client.get("/")
    assert UserStats.objects.get(user=member).days_visited == 1
    assert services.user_visit_record(user_id=member.pk, today=dt.date.today() + dt.timedelta(1))
    assert UserStats.objects.get(user=member).days_visited == 2


@pytest.mark.django_db
def test_staff_without_totp_are_sent_to_set_it_up_when_required(client, settings):
    settings.CAUSERIE_REQUIRE_2FA_FOR_STAFF = True
    moderator = UserFactory(moderator=True)
    member = UserFactory()

    client.force_login(moderator)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")

    client.force_login(member)
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_a_missing_role_group_is_recreated_with_its_permissions():
    Group.objects.filter(name="Moderator").delete()
    moderator = UserFactory(moderator=True)
    assert permissions.is_moderator(moderator)


@pytest.mark.django_db
def test_a_new_member_who_reads_enough_reaches_basic_with_the_default_thresholds():
    """The default requirements of level 1 can be met by what the site measures today."""
    from community import services as community_services
    from tests.factories import CategoryFactory, PostFactory, TopicFactory

    reader = UserFactory(trust_level=0)
    category = CategoryFactory()
    topics = [TopicFactory(category=category) for _ in range(5)]
    for topic in topics:
        for _ in range(5):
            PostFactory(topic=topic)
    services.trust_levels_promote()
    reader.refresh_from_db()
    assert reader.trust_level == 0  # not before reading

    for topic in topics:
        topic.refresh_from_db()
        community_services.topic_read(
            actor=reader, topic=topic, last_number=topic.highest_post_number
        )

    services.trust_levels_promote()
    reader.refresh_from_db()
    assert reader.trust_level == 1
