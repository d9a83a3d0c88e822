"""The idea pages through the test client: htmx and no-JS paths, 403 for members on staff
actions, clear 4xx for bad input, nothing half-saved."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from ideas import services
from ideas.models import Challenge, Idea, IdeaStatus, IdeaStatusChange, IdeaVote
from tests.ideas.conftest import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture
def idea(make_idea, member):
    return make_idea(author=member, title="Keep the water warm after boiling", tags="tea")


def _no_inline_code(html: str) -> None:
    """The CSP forbids inline scripts and styles: none may appear in our pages."""
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert not re.search(r"\sstyle=", html), "inline style"
    assert "<style" not in html


# --- Board -----------------------------------------------------------------------------------


def test_board_lists_cards_with_votes_status_and_comments(client, idea):
    response = client.get("/ideas/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Keep the water warm after boiling" in html
    assert "idea-status--open" in html
    assert "0 comments" in html
    assert 'href="/static/css/ideas.css"' in html
    _no_inline_code(html)


def test_board_answers_the_list_fragment_to_htmx(client, idea):
    response = client.get("/ideas/?q=water", HTTP_HX_TARGET="idea-list", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="idea-list"')
    assert "<html" not in html


@pytest.mark.parametrize(
    "query",
    ["?ordering=bogus", "?status=nonsense", "?challenge=abc", "?page=x", "?q=%00%00", "?tag=ü"],
)
def test_board_survives_bad_query_strings(client, idea, query):
    assert client.get("/ideas/" + query).status_code == 200


def test_board_past_the_last_page_is_404(client, idea):
    assert client.get("/ideas/?page=5").status_code == 404


def test_category_board_shows_the_member_budget(login, idea, other_member, staff, category):
    services.idea_category_settings_set(
        actor=staff, category=category, vote_budget=10, roadmap_public=True
    )
    html = login(other_member).get(f"/ideas/c/{category.slug}/").content.decode()
    assert "You have 10 of your 10 votes left" in html
    assert login(other_member).get("/ideas/c/no-such-category/").status_code == 404


def test_category_settings_are_for_staff(login, member, staff, category):
    url = reverse("ideas:category_settings", args=[category.slug])
    assert login(member).post(url, {"vote_budget": 3}).status_code == 403
    response = login(staff).post(url, {"vote_budget": "0"})
    assert response.status_code == 302  # refused with a message
    assert not category.__class__.objects.filter(idea_settings__isnull=False).exists()
    login(staff).post(url, {"vote_budget": "3", "roadmap_public": "on"})
    category.refresh_from_db()
    assert category.idea_settings.vote_budget == 3


# --- Proposing -------------------------------------------------------------------------------


def test_new_idea_form_suggests_similar_ideas_as_one_types(login, member, idea):
    html = login(member).get("/ideas/new/").content.decode()
    assert 'hx-get="/ideas/similar/"' in html
    assert 'hx-trigger="keyup changed delay:400ms, change"' in html
    assert 'id="similar-ideas"' in html
    _no_inline_code(html)
    fragment = Client().get("/ideas/similar/?title=keep+water+warm", **HTMX).content.decode()
    assert "Keep the water warm after boiling" in fragment
    assert "<html" not in fragment
    assert (
        "No similar idea" in Client().get("/ideas/similar/?title=zebra+crossing").content.decode()
    )


def test_posting_an_idea_redirects_to_its_page(login, member, category):
    response = login(member).post(
        "/ideas/new/",
        {
            "category": category.pk,
            "title": "A matte black Aurora kettle",
            "body": "Limescale shows on white.",
            "tags": "design, aurora",
        },
    )
    idea = Idea.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/ideas/{idea.pk}/"
    assert idea.topic.kind == "idea"


def test_posting_a_bad_idea_shows_errors_and_saves_nothing(login, member, category):
    client = login(member)
    response = client.post("/ideas/new/", {"category": category.pk, "title": "short", "body": " "})
    assert response.status_code == 400
    assert not Idea.objects.exists()
    response = client.post(
        "/ideas/new/", {"category": 99999, "title": "Long enough title", "body": "x"}
    )
    assert response.status_code == 400
    assert "Choose a category" in response.content.decode() or "Select a valid choice" in (
        response.content.decode()
    )
    assert not Idea.objects.exists()


def test_anonymous_proposers_are_sent_to_sign_in(client):
    response = client.get("/ideas/new/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- The idea page ---------------------------------------------------------------------------


def test_idea_page_shows_status_response_first_history_and_discussion(client, idea, staff):
    services.idea_status_set(
        actor=staff, idea=idea, status="planned", response="On the **roadmap** for May."
    )
    html = client.get(f"/ideas/{idea.pk}/").content.decode()
    assert "Official response from" in html
    assert "<strong>roadmap</strong>" in html
    assert html.index("Official response from") < html.index('id="proposal-heading"')
    assert "Status history" in html and "idea-status--planned" in html
    assert idea.topic.get_absolute_url() in html  # the discussion
    _no_inline_code(html)


def test_idea_page_of_an_unknown_idea_is_404(client):
    assert client.get("/ideas/999999/").status_code == 404


def test_support_with_htmx_returns_the_button_fragment(login, idea, other_member):
    response = login(other_member).post(
        f"/ideas/{idea.pk}/vote/", {"value": "1"}, REMOTE_ADDR="203.0.113.77", **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="idea-vote-{idea.pk}"' in html and "Supported" in html
    vote = IdeaVote.objects.get()
    assert vote.ip_network == "203.0.113.0/24"  # never the address


def test_support_without_javascript_redirects_back(login, idea, other_member):
    client = login(other_member)
    response = client.post(f"/ideas/{idea.pk}/vote/", {"value": "1", "next": "/ideas/"})
    assert response.status_code == 302 and response["Location"] == "/ideas/"
    response = client.post(f"/ideas/{idea.pk}/vote/", {"value": "0"})
    assert response.status_code == 302
    idea.refresh_from_db()
    assert idea.vote_count == 0


def test_support_refusals_are_clear_4xx(
    login, idea, member, other_member, staff, category, make_idea, make_members
):
    response = login(member).post(f"/ideas/{idea.pk}/vote/", {"value": "1"}, **HTMX)
    assert response.status_code == 403
    assert "You proposed this idea" in response.content.decode()
    response = login(other_member).post(f"/ideas/{idea.pk}/vote/", {"value": "7"}, **HTMX)
    assert response.status_code == 400
    services.idea_category_settings_set(
        actor=staff, category=category, vote_budget=1, roadmap_public=True
    )
    client = login(other_member)
    client.post(f"/ideas/{idea.pk}/vote/", {"value": "1"}, **HTMX)
    second = make_idea(author=make_members(1)[0])
    response = client.post(f"/ideas/{second.pk}/vote/", {"value": "1"}, **HTMX)
    assert response.status_code == 400
    assert "all 1 of your votes" in response.content.decode()


def test_anonymous_support_goes_to_sign_in(client, idea):
    response = client.post(f"/ideas/{idea.pk}/vote/", {"value": "1"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(f"/ideas/{idea.pk}/vote/", {"value": "1"}, **HTMX)
    assert response.status_code == 204 and "HX-Redirect" in response
    assert client.get(f"/ideas/{idea.pk}/vote/").status_code in (302, 405)


def test_members_get_403_on_status_and_merge(login, idea, member, other_member, make_idea):
    other = make_idea()
    for user in (member, other_member):
        client = login(user)
        response = client.post(
            f"/ideas/{idea.pk}/status/", {"status": "planned", "response": "Mine now"}
        )
        assert response.status_code == 403
        response = client.post(f"/ideas/{idea.pk}/merge/", {"target": str(other.pk)})
        assert response.status_code == 403
    idea.refresh_from_db()
    assert idea.status == IdeaStatus.OPEN and not IdeaStatusChange.objects.exists()
    html = login(member).get(f"/ideas/{idea.pk}/").content.decode()
    assert "Brand tools" not in html


def test_staff_change_the_status_from_the_page(login, idea, staff):
    client = login(staff)
    html = client.get(f"/ideas/{idea.pk}/").content.decode()
    assert "Brand tools" in html
    response = client.post(f"/ideas/{idea.pk}/status/", {"status": "planned", "response": ""})
    assert response.status_code == 400
    assert not IdeaStatusChange.objects.exists()
    response = client.post(
        f"/ideas/{idea.pk}/status/",
        {"status": "in_progress", "response": "Started", "release_note": "Too early"},
    )
    assert response.status_code == 400
    assert "shipped" in response.content.decode().lower()
    response = client.post(
        f"/ideas/{idea.pk}/status/", {"status": "planned", "response": "Planned for May"}
    )
    assert response.status_code == 302
    idea.refresh_from_db()
    assert idea.status == IdeaStatus.PLANNED


def test_staff_merge_from_the_page_by_number_or_link(login, idea, staff, make_idea):
    original = make_idea(title="The original kettle idea")
    client = login(staff)
    assert client.post(f"/ideas/{idea.pk}/merge/", {"target": "nothing"}).status_code == 400
    assert client.post(f"/ideas/{idea.pk}/merge/", {"target": "999999"}).status_code == 400
    assert client.post(f"/ideas/{idea.pk}/merge/", {"target": str(idea.pk)}).status_code == 400
    response = client.post(
        f"/ideas/{idea.pk}/merge/", {"target": f"https://x.example/ideas/{original.pk}/"}
    )
    assert response.status_code == 302 and response["Location"] == f"/ideas/{original.pk}/"
    html = client.get(f"/ideas/{idea.pk}/").content.decode()
    assert "This idea was merged into" in html
    assert "Ideas merged into this one" in client.get(f"/ideas/{original.pk}/").content.decode()


# --- Insight and export ----------------------------------------------------------------------


def test_insight_is_for_staff(login, idea, member, staff, other_member):
    services.idea_vote_cast(actor=other_member, idea=idea, value=1)
    assert login(member).get(f"/ideas/{idea.pk}/insight/").status_code == 403
    response = login(staff).get(f"/ideas/{idea.pk}/insight/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Supports over time" in html and other_member.username in html
    _no_inline_code(html)


def test_staff_discount_supports_from_the_insight_page(login, idea, staff, member, other_member):
    services.idea_vote_cast(actor=other_member, idea=idea, value=1)
    url = f"/ideas/{idea.pk}/supports/review/"
    assert (
        login(member)
        .post(url, {"action": "discount", "voters": other_member.pk, "reason": "x"})
        .status_code
        == 403
    )
    client = login(staff)
    assert client.post(url, {"action": "discount", "reason": "ring"}).status_code == 302
    idea.refresh_from_db()
    assert idea.vote_count == 1  # no voter chosen: nothing done
    client.post(url, {"action": "discount", "voters": other_member.pk, "reason": "ring"})
    idea.refresh_from_db()
    assert idea.vote_count == 0


def test_csv_export_is_for_staff_and_defuses_formulas(login, make_idea, member, staff):
    make_idea(title='=HYPERLINK("http://evil") idea')
    assert login(member).get("/ideas/export.csv").status_code == 403
    response = login(staff).get("/ideas/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    header, row = body.splitlines()[:2]
    assert header.startswith("id,title,category,status,supports")
    assert "'=HYPERLINK" in row and ",Open,0," in row


# --- Roadmap, changelog, challenges ----------------------------------------------------------


def test_roadmap_and_changelog_pages(client, login, idea, staff, member, category):
    services.idea_status_set(
        actor=staff, idea=idea, status="shipped", response="Done", release_note="In **2.5**"
    )
    assert "Keep the water warm" in client.get("/roadmap/").content.decode()
    html = client.get("/changelog/").content.decode()
    assert "<strong>2.5</strong>" in html
    services.idea_category_settings_set(
        actor=staff, category=category, vote_budget=None, roadmap_public=False
    )
    assert "Keep the water warm" not in client.get("/roadmap/").content.decode()
    assert "Keep the water warm" in login(member).get("/roadmap/").content.decode()
    assert client.get("/roadmap/?category=nope").status_code == 404
    assert client.get("/changelog/?page=9").status_code == 404


def test_challenge_pages_and_staff_creation(client, login, staff, member, category):
    assert client.get("/challenges/").status_code == 200
    assert login(member).get("/challenges/new/").status_code == 403
    form = {
        "title": "Design our next kettle",
        "description": "Send us your concepts.",
        "category": category.pk,
        "submission_start": "2020-01-01T10:00",
        "submission_end": "2019-01-01T10:00",
        "vote_start": "2030-01-01T10:00",
        "vote_end": "2030-02-01T10:00",
        "announcement_at": "2030-03-01T10:00",
        "jury": "nobody-by-that-name",
    }
    response = login(staff).post("/challenges/new/", form)
    assert response.status_code == 400
    assert not Challenge.objects.exists()
    form.update(submission_end="2029-12-01T10:00", jury=member.username)
    response = login(staff).post("/challenges/new/", form)
    challenge = Challenge.objects.get()
    assert response.status_code == 302
    html = client.get(f"/challenges/{challenge.pk}/").content.decode()
    assert "Design our next kettle" in html and "Submissions open" in html
    assert client.get("/challenges/999999/").status_code == 404
    _no_inline_code(html)


def test_the_idea_pages_speak_french(client, idea, staff):
    from django.utils import translation

    from ideas.models import IdeaStatus

    services.idea_status_set(actor=staff, idea=idea, status="planned", response="Oui")
    with translation.override("fr"):
        assert str(IdeaStatus.PLANNED.label) == "Prévue"
    before = translation.get_language()
    # The locale middleware activates French for this thread and leaves it so after the
    # response: the override puts the language back, for the tests that run next.
    with translation.override(before):
        html = client.get("/ideas/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Proposer une idée" in html and "Prévue" in html
    assert translation.get_language() == before
