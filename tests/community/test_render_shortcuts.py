"""What the pages precompute so that templates stay cheap (bench/README.md, "Rendering cost"):
URLs filled from patterns reversed once, labels translated once, the filter form rendered once
— each must give exactly what the template used to produce."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from community import services
from community.links import UrlPattern, list_links, post_links
from tests.factories import TEST_PASSWORD, PostFactory, TopicFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_daily_limits")]


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


@pytest.mark.parametrize(
    ("name", "ints", "slug"),
    [
        ("community:topic", (7,), "kettle-lid"),
        ("community:topic", (987654301,), "a"),  # the placeholder's own value
        ("community:topic_post_number", (12, 3), None),
        ("community:category", (), "aurora_kettles-2"),
        ("community:tag", (), "Mixed-Case"),
        ("accounts:profile", (), "jo.bloggs+tea@home"),  # not slug-shaped: reverse() itself
        ("accounts:profile", (), "élodie"),
    ],
)
def test_a_filled_pattern_is_what_reverse_gives(name, ints, slug):
    pattern = UrlPattern(name, ints=len(ints), slug=slug is not None)
    args = [*ints, *([slug] if slug is not None else [])]
    assert pattern.fill(*ints, **({"slug": slug} if slug is not None else {})) == reverse(
        name, args=args
    )


def test_a_pattern_refuses_the_wrong_values():
    with pytest.raises(TypeError):
        UrlPattern("community:topic", ints=1, slug=True).fill(3)
    with pytest.raises(TypeError):
        UrlPattern("community:topic_post_number", ints=2).fill(3, slug="x")


def test_patterns_follow_the_active_language_prefix():
    links, posts = list_links(), post_links()
    with translation.override("fr"):
        assert list_links().topic.fill(5, slug="x") == reverse("community:topic", args=[5, "x"])
    assert links.category.fill(slug="c") == reverse("community:category", args=["c"])
    assert posts.flag is not None and posts.topic_flag is not None


def test_topic_rows_link_where_the_models_do(category, member, other_member):
    topic = TopicFactory(category=category, author=member, tags=["lids", "descaling"])
    for _ in range(3):
        PostFactory(topic=topic, author=member)
    topic.refresh_from_db()
    services.topic_read(actor=other_member, topic=topic, last_number=2)

    html = client_for(other_member).get("/latest/").content.decode()

    assert f'href="{topic.get_absolute_url()}"' in html
    assert f'href="{category.get_absolute_url()}"' in html
    for tag in topic.tags.all():
        assert f'href="{tag.get_absolute_url()}"' in html
    unread = reverse("community:topic_post_number", args=[topic.pk, 3])
    assert f'<a class="badge badge--new" href="{unread}">2 new</a>' in html
    last = reverse("community:topic_post_number", args=[topic.pk, topic.highest_post_number])
    assert f'<a href="{last}" title="Last post by' in html
    assert 'topic-stat__label">replies</span>' in html
    assert 'topic-stat__label">votes</span>' in html


def test_topic_rows_speak_french_in_french(category, member, other_member):
    TopicFactory(category=category, author=member, kind="question")
    html = client_for(other_member).get("/latest/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'topic-stat__label">réponse</span>' in html  # 0: singular in French
    assert 'topic-stat__label">reply</span>' not in html


def test_post_links_are_those_the_template_reversed(category, member, other_member):
    topic = TopicFactory(category=category, author=member)
    first_reply = PostFactory(topic=topic, author=other_member)
    reply = PostFactory(topic=topic, author=member, reply_to=first_reply)

    html = client_for(other_member).get(topic.get_absolute_url() + "?ordering=oldest").content
    html = html.decode()

    assert f'href="{reply.get_absolute_url()}"' in html
    assert f'href="{member.get_absolute_url()}"' in html
    assert f'action="{reverse("community:post_vote", args=[reply.pk])}"' in html
    assert f'data-quote-url="{reverse("community:post_quote", args=[reply.pk])}"' in html
    assert f'href="{reverse("moderation_public:post_flag", args=[reply.pk])}"' in html
    assert f'href="{reverse("moderation_public:topic_flag", args=[topic.pk])}"' in html
    assert f'class="post__reply-to" href="{first_reply.get_absolute_url()}"' in html
    # The page's other parameters are kept, as {% querystring %} kept them.
    assert f'href="?ordering=oldest&amp;reply_to={reply.pk}#composer"' in html
    assert f'href="?ordering=oldest&amp;quote={reply.pk}#composer"' in html
    own = f'action="{reverse("community:post_edit", args=[first_reply.pk])}"'
    assert f'href="{reverse("community:post_edit", args=[first_reply.pk])}"' in html, own
    # Labels translated once for the page still reach every post and vote box.
    assert html.count(">Reply</span>") == 3
    assert html.count('title="Useful: upvote"') == 2  # not on one's own post


def test_the_vote_fragment_alone_keeps_its_labels(category, member, other_member):
    topic = TopicFactory(category=category, author=member)
    post = PostFactory(topic=topic, author=member)
    response = client_for(other_member).post(
        reverse("community:post_vote", args=[post.pk]), {"value": "1"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'title="Withdraw your upvote"' in html and ">Downvote</span>" in html
    assert f'hx-post="{reverse("community:post_vote", args=[post.pk])}"' in html


def test_the_filter_form_is_rendered_once_and_values_every_time(category, member, other_member):
    TopicFactory(category=category, author=member)
    client = client_for(other_member)  # signed in: no anonymous page cache in the way
    first = client.get("/latest/?page=1")
    again = client.get("/latest/?page=1")
    assert "community/_filter_fields.html" not in [t.name for t in again.templates]
    fields = first.content.decode()
    assert 'name="kind"' in fields and 'name="kind"' in again.content.decode()

    filtered = client.get("/latest/?kind=question").content.decode()
    assert '<option value="question" selected>' in filtered
    assert '<option value="question" selected>' not in client.get("/latest/").content.decode()

    french = client.get("/latest/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Toutes les catégories" in french or "Catégorie" in french


def test_a_new_category_appears_in_the_cached_filter_form(category, member, other_member):
    TopicFactory(category=category, author=member)
    client = client_for(other_member)
    client.get("/latest/")
    from tests.factories import CategoryFactory

    newcomer = CategoryFactory(name="Brand new space")
    assert f'<option value="{newcomer.slug}">' in client.get("/latest/").content.decode()


def test_a_new_member_sees_new_topics_marked(client, category, member):
    TopicFactory(category=category, author=member)
    reader = UserFactory()
    assert '<span class="badge badge--new">new</span>' in (
        client_for(reader).get("/latest/").content.decode()
    )
