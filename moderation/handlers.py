"""Moderation's receivers of ``community.events``, connected in ``ModerationConfig.ready()``.

``content_submitted`` (synchronous, inside the posting transaction, under the post's lock)
    runs, in this order, on every new post and every edit:

    1. sanctions: a suspended or silenced member is refused (``PermissionDenied``: the
       transaction rolls back, nothing is saved). The member restriction registered with
       ``community.permissions`` (``moderation.permissions.member_restriction``) already
       keeps them from posting; this is the second wall, read from the database;
    2. watched words: "block" refuses the post with a ``ValidationError`` naming the word
       (nothing saved); "hold" holds it for review; "flag" publishes it and queues it;
       "replace" rewrites the matched text (``community.services.post_body_replace``, which
       keeps the original as a revision that only moderators can read);
    3. spam signals (new posts): a member at or below ``SPAM_LINK_RULE_MAX_TRUST`` posting
       more than ``SPAM_NEW_MEMBER_MAX_LINKS`` links to other sites, or the same text for
       the ``SPAM_DUPLICATE_POSTS``-th time within ``SPAM_DUPLICATE_WINDOW_HOURS``, is held;
    4. probation: every post of a member on probation is held.

    Moderators of the category and staff roles pass 2-4 (replacements still apply).
    Pre-moderated categories are held by ``community`` itself after this signal; their
    posts reach the queue through ``post_created`` (state "held").

``post_created`` queues held posts and stops the first-official-answer clock when brand staff
reply in a routed topic. ``post_edited`` sends a hidden post edited by its author back to the
queue. ``topic_moved`` keeps items in the topic's category. ``post_state_changed``,
``topic_status_changed`` and ``topic_moved`` made by moderators outside the queue are written to
the audit log. Votes of silenced or suspended members are refused by ``community.services``
itself, through the member restriction (``vote_changed`` receivers must not raise).
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions as account_permissions
from accounts.models import User
from community import events as community_events
from community import permissions as community_permissions
from community import services as community_services
from community.models import ContentState, Post, Topic
from community.reasons import SystemReason
from moderation import permissions as perms
from moderation import reasons as system_reasons
from moderation import selectors, services
from moderation import watched_words as ww
from moderation.conf import moderation_settings as conf
from moderation.models import StaffRequest

logger = logging.getLogger(__name__)

# Links as the sanitized HTML has them: absolute or protocol-relative, to some host.
_EXTERNAL_HREF = re.compile(r"<a\s[^>]*?href=\"(?:https?:)?//([^/\"?#:]+)", re.IGNORECASE)


def connect() -> None:
    community_events.content_submitted.connect(
        on_content_submitted, dispatch_uid="moderation.on_content_submitted"
    )
    community_events.post_created.connect(
        on_post_created, dispatch_uid="moderation.on_post_created"
    )
    community_events.post_edited.connect(on_post_edited, dispatch_uid="moderation.on_post_edited")
    community_events.topic_moved.connect(on_topic_moved, dispatch_uid="moderation.on_topic_moved")
    community_events.post_state_changed.connect(
        on_post_state_changed, dispatch_uid="moderation.on_post_state_changed"
    )
    community_events.topic_status_changed.connect(
        on_topic_status_changed, dispatch_uid="moderation.on_topic_status_changed"
    )


# --- Submitted content ----------------------------------------------------------------------------


def refuse_if_restricted(restrictions: perms.Restrictions) -> None:
    """Raise PermissionDenied for a suspended or silenced member, saying until when."""
    message = perms.restriction_message(restrictions)
    if message:
        raise PermissionDenied(message)


def external_link_count(post: Post) -> int:
    """Links to other sites in the post's sanitized HTML (mentions and relative links are
    not counted)."""
    site = (settings.SITE_HOST or "").lower()
    return sum(1 for host in _EXTERNAL_HREF.findall(post.body_html) if host.lower() != site)


def on_content_submitted(sender, *, post: Post, actor, is_edit: bool = False, **kwargs) -> None:
    if actor is None or not actor.is_authenticated:
        return  # the system (seed, imports) is not moderated
    restrictions = perms.member_restrictions(actor, refresh=True)
    refuse_if_restricted(restrictions)
    exempt = account_permissions.is_staff_role(
        actor
    ) or community_permissions.can_moderate_category(actor, post.topic.category)
    # The system's reasons are stored as codes and shown in each reader's language.
    hold_reason: SystemReason | None = None
    detail = ""

    rules = selectors.watched_rules_compiled()
    if rules:
        text = f"{post.topic.title}\n{post.body}" if post.is_first else post.body
        matches = ww.find_matches(text, rules)
        strictest = ww.strictest(m for m in matches if m.action != ww.WatchedAction.REPLACE)
        if strictest is not None and not exempt:
            if strictest.action == ww.WatchedAction.BLOCK:
                raise ValidationError(
                    {
                        "body": _(
                            "Your post contains “%(word)s”, which is not allowed here. "
                            "Please rephrase it; nothing was published."
                        )
                        % {"word": strictest.text}
                    },
                    code="watched_word_block",
                )
            if strictest.action == ww.WatchedAction.HOLD:
                hold_reason = SystemReason(system_reasons.WATCHED_WORD_HOLD)
                detail = f"“{strictest.text}” (rule {strictest.rule_id})"
        if any(m.action == ww.WatchedAction.REPLACE for m in matches):
            replaced = ww.apply_replacements(post.body, rules)
            if replaced != post.body:
                _post_body_replace(post=post, body=replaced)
        if (
            strictest is not None
            and strictest.action == ww.WatchedAction.FLAG
            and not exempt
            and not hold_reason
        ):
            services.post_watch_flag(
                post=post,
                reason=SystemReason(system_reasons.WATCHED_WORD_FLAG, {"word": strictest.text}),
            )

    if not exempt and not hold_reason:
        hold_reason, detail = _spam_signal(post=post, actor=actor, is_edit=is_edit)
    if not exempt and not hold_reason and restrictions.on_probation:
        hold_reason = SystemReason(system_reasons.PROBATION)
    if hold_reason and post.state == ContentState.VISIBLE:
        services.post_hold_for_review(post=post, reason=hold_reason, detail=detail)


def _spam_signal(*, post: Post, actor: User, is_edit: bool) -> tuple[SystemReason | None, str]:
    max_links = conf.SPAM_NEW_MEMBER_MAX_LINKS
    if actor.trust_level <= conf.SPAM_LINK_RULE_MAX_TRUST:
        links = external_link_count(post)
        if links > max_links:
            return SystemReason(system_reasons.SPAM_LINKS, {"max": max_links}), f"{links} links"
    if not is_edit and conf.SPAM_DUPLICATE_POSTS:
        since = timezone.now() - dt.timedelta(hours=conf.SPAM_DUPLICATE_WINDOW_HOURS)
        copies = Post.objects.filter(author=actor, body=post.body, created_at__gte=since).count()
        if copies >= conf.SPAM_DUPLICATE_POSTS:
            return (
                SystemReason(system_reasons.SPAM_DUPLICATE, {"count": copies}),
                f"{copies} copies",
            )
    return None, ""


def _post_body_replace(*, post: Post, body: str) -> None:
    """Rewrite a post's text for a "replace" watched word, through community's service (the
    post was just written in this same transaction and is under its lock). The caller's
    ``post`` object is refreshed: community's posting service carries on with it."""
    community_services.post_body_replace(
        actor=None,
        post=post,
        body=body,
        reason=SystemReason(system_reasons.WATCHED_WORD_REPLACED),
    )
    post.refresh_from_db(fields=["body", "body_html", "edit_count"])


# --- Other community events ----------------------------------------------------------------------


def on_post_created(sender, *, post_id: int, topic_id: int, actor_id: int, state: str, **kwargs):
    if state == ContentState.HELD:
        post = Post.objects.select_related("topic", "topic__category").get(pk=post_id)
        services.held_post_queue(post=post)
    if StaffRequest.objects.filter(topic_id=topic_id, status=StaffRequest.Status.OPEN).exists():
        actor = User.objects.filter(pk=actor_id).first()
        if actor is not None and state == ContentState.VISIBLE:
            post = Post.objects.select_related("topic", "topic__category").get(pk=post_id)
            services.staff_answer_record(post=post, actor=actor)


def on_post_edited(sender, *, post_id: int, actor_id: int, was_hidden: bool, **kwargs) -> None:
    if not was_hidden:
        return
    post = Post.objects.select_related("topic", "topic__category", "author").get(pk=post_id)
    if post.author_id == actor_id:
        services.post_recheck_queue(post=post)


def on_topic_moved(
    sender, *, topic_id: int, actor_id: int, from_category_id: int, to_category_id: int, **kwargs
) -> None:
    services.item_category_sync(topic_id=topic_id, category_id=to_category_id)
    if services.is_acting():
        return
    actor = User.objects.filter(pk=actor_id).first()
    services.audit_direct_action(
        actor=actor,
        action="topic.moved",
        topic_id=topic_id,
        category_id=from_category_id,
        before={"category": from_category_id},
        after={"category": to_category_id},
        public=True,
    )


def on_post_state_changed(
    sender,
    *,
    post_id: int,
    topic_id: int,
    actor_id: int | None,
    old_state: str,
    new_state: str,
    reason: str = "",
    **kwargs,
) -> None:
    if services.is_acting() or actor_id is None:
        return  # our own actions are audited by the service; system ones by their source
    post = Post.objects.select_related("topic", "topic__category").get(pk=post_id)
    if post.author_id == actor_id and new_state == ContentState.DELETED:
        return  # an author deleting their own post is not moderation
    actor = User.objects.filter(pk=actor_id).first()
    services.audit_direct_action(
        actor=actor,
        action=f"post.{new_state}",
        post=post,
        reason=reason,
        before={"state": old_state},
        after={"state": new_state},
        public=new_state in (ContentState.HIDDEN, ContentState.REMOVED),
    )


def on_topic_status_changed(sender, *, topic_id: int, actor_id: int, change: str, **kwargs):
    if services.is_acting():
        return
    actor = User.objects.filter(pk=actor_id).first()
    topic_category = Topic.objects.filter(pk=topic_id).values_list("category_id", flat=True).first()
    services.audit_direct_action(
        actor=actor,
        action=f"topic.{change}",
        topic_id=topic_id,
        category_id=topic_category,
        after={"change": change},
        public=change == "locked",
    )
