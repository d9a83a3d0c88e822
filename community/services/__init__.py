"""Every write on the community: categories, topics, posts, votes, answers, following, reading.

The services live in one module per subject (``topics``, ``posts``, ``votes``, ``categories``,
``view_counts``) and are all importable from here: ``from community import services`` then
``services.topic_create(...)``; ``_base`` holds the shared validation, limits and locks.

Each service takes the acting user first (``actor``; ``None`` means the system, for the
moderation services and the seed), checks permission with ``community.permissions``, validates,
writes inside ``transaction.atomic`` and announces domain events (``community.events``) at the
end, inside the transaction. Callers must know:

* Refusals raise ``django.core.exceptions.PermissionDenied`` with a translated message; bad
  input raises ``ValidationError`` whose ``message_dict`` names the fields (``title``,
  ``body``, ``tags``, ``kind``, ``reply_to``, ``value``, ``level``, ``state``…). Daily limits
  raise :class:`RateLimited` (a ``ValidationError`` with ``retry_after`` in seconds).
  Views turn all three into a message or a 4xx; nothing here should end in a 500.
* Denormalised counters (``Category.topic_count/post_count``, ``Topic.reply_count``,
  ``Tag.topic_count``, ``Post.score/upvotes/downvotes``) count **visible** content and change
  only by F() updates here; ``manage.py recount_community`` recomputes them.
* ``content_submitted`` is sent synchronously right after a post is written (see
  ``community.events``): a receiver may refuse the post (ValidationError, everything rolls
  back) or hold it with :func:`post_hold`.
* A topic mirrors its first post's state: hiding, holding, removing or deleting the first post
  does the same to the topic.
* Member restrictions registered with ``community.permissions.register_member_restriction``
  (moderation's silences and suspensions) refuse replies, new topics, votes and edits with
  their own reason; withdrawing a vote stays possible. :func:`post_body_replace` rewrites a
  text for moderation (a watched word's replacement) outside the author's rules.
* Rows are locked in one order — post, then topic, then the users' rows by id — so concurrent
  services never deadlock each other; votes on one post are serialised by the post row lock,
  which is what makes the score exact under load.
"""

from community.services._base import RateLimited
from community.services.categories import category_create, category_subscribe
from community.services.posts import (
    post_approve,
    post_body_replace,
    post_create,
    post_delete,
    post_edit,
    post_hide,
    post_hold,
    post_remove,
    post_unhide,
)
from community.services.topics import (
    topic_close,
    topic_create,
    topic_lock,
    topic_move,
    topic_pin,
    topic_read,
    topic_reopen,
    topic_subscribe,
    topic_unlock,
    topic_unpin,
)
from community.services.view_counts import (
    topic_view_counter,
    topic_view_record,
    topic_views_flush,
)
from community.services.votes import answer_accept, answer_unaccept, vote_cast

__all__ = [
    "RateLimited",
    "answer_accept",
    "answer_unaccept",
    "category_create",
    "category_subscribe",
    "post_approve",
    "post_body_replace",
    "post_create",
    "post_delete",
    "post_edit",
    "post_hide",
    "post_hold",
    "post_remove",
    "post_unhide",
    "topic_close",
    "topic_create",
    "topic_lock",
    "topic_move",
    "topic_pin",
    "topic_read",
    "topic_reopen",
    "topic_subscribe",
    "topic_unlock",
    "topic_unpin",
    "topic_view_counter",
    "topic_view_record",
    "topic_views_flush",
    "vote_cast",
]
