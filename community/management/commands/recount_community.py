"""Recompute the community's denormalised counters from the rows they summarise.

Dry run by default: prints what differs. ``--apply`` writes the correct values (in one
transaction). Definitions, the same the services maintain:

* Post: ``upvotes``/``downvotes`` = its +1/-1 votes, ``score`` = up - down, ``wilson`` =
  Wilson lower bound of (up, down).
* Topic: ``reply_count`` = visible posts numbered > 1, ``highest_post_number`` = highest
  post number, ``score`` = first post's score, ``hot`` = hot_score(score, created_at).
* Category: ``topic_count`` = visible topics, ``post_count`` = visible posts of visible topics
  (its own, not its subcategories').
* Tag: ``topic_count`` = visible topics carrying it.

Repairs write absolute values: this is the one place where counters are not changed by F()
increments, because it is the tool that fixes them when increments went wrong.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count, Max, Q

from community.models import Category, ContentState, Post, Tag, Topic, Vote
from community.ranking import hot_score, wilson_lower_bound

BATCH = 2000
VISIBLE = ContentState.VISIBLE


def _differs(stored: Any, expected: Any) -> bool:
    if isinstance(expected, float):
        return not math.isclose(stored, expected, rel_tol=1e-9, abs_tol=1e-9)
    return stored != expected


class Command(BaseCommand):
    help = "Recompute post scores, topic/category/tag counters. Dry run unless --apply."

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="Write the corrected values.")
        parser.add_argument(
            "--show", type=int, default=20, help="Differences printed per model (default 20)."
        )

    def handle(self, *args, apply: bool, show: int, **options):
        with transaction.atomic():
            # Posts first: topic scores are checked against the recomputed post scores.
            fixes = {Post: self._posts()}
            fixes[Topic] = self._topics(self._post_scores)
            fixes[Category] = self._categories()
            fixes[Tag] = self._tags()
            total = 0
            for model, changes in fixes.items():
                total += len(changes)
                self._report(model, changes, show)
                if apply and changes:
                    self._write(model, changes)
        if not total:
            self.stdout.write(self.style.SUCCESS("Every counter is right."))
        elif apply:
            self.stdout.write(self.style.SUCCESS(f"{total} rows repaired."))
        else:
            self.stdout.write(
                self.style.WARNING(f"{total} rows differ (dry run: run with --apply to repair).")
            )

    # Each collector returns {pk: {field: (stored, expected)}} for the rows that differ.

    def _posts(self) -> dict[int, dict[str, tuple]]:
        counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for post_id, up, down in (
            Vote.objects.values("post")
            .annotate(up=Count("pk", filter=Q(value=1)), down=Count("pk", filter=Q(value=-1)))
            .values_list("post", "up", "down")
        ):
            counts[post_id] = [up, down]
        self._post_scores: dict[int, int] = {}
        changes: dict[int, dict[str, tuple]] = {}
        rows = Post.objects.values_list("pk", "score", "upvotes", "downvotes", "wilson")
        for pk, score, up, down, wilson in rows.iterator(chunk_size=BATCH):
            expected_up, expected_down = counts.get(pk, (0, 0))
            expected = {
                "upvotes": expected_up,
                "downvotes": expected_down,
                "score": expected_up - expected_down,
                "wilson": wilson_lower_bound(expected_up, expected_down),
            }
            self._post_scores[pk] = expected["score"]
            stored = {"upvotes": up, "downvotes": down, "score": score, "wilson": wilson}
            diff = {
                name: (stored[name], value)
                for name, value in expected.items()
                if _differs(stored[name], value)
            }
            if diff:
                changes[pk] = diff
        return changes

    def _topics(self, post_scores: dict[int, int]) -> dict[int, dict[str, tuple]]:
        replies = dict(
            Post.objects.filter(number__gt=1, state=VISIBLE)
            .values("topic")
            .annotate(n=Count("pk"))
            .values_list("topic", "n")
        )
        highest = dict(
            Post.objects.values("topic").annotate(n=Max("number")).values_list("topic", "n")
        )
        first_posts = dict(Post.objects.filter(number=1).values_list("topic_id", "pk"))
        changes: dict[int, dict[str, tuple]] = {}
        rows = Topic.objects.values_list(
            "pk", "reply_count", "highest_post_number", "score", "hot", "created_at"
        )
        for pk, reply_count, highest_number, score, hot, created_at in rows.iterator(
            chunk_size=BATCH
        ):
            expected_score = post_scores.get(first_posts.get(pk), 0)
            expected = {
                "reply_count": replies.get(pk, 0),
                "highest_post_number": highest.get(pk, 0),
                "score": expected_score,
                "hot": hot_score(expected_score, created_at),
            }
            stored = {
                "reply_count": reply_count,
                "highest_post_number": highest_number,
                "score": score,
                "hot": hot,
            }
            diff = {
                name: (stored[name], value)
                for name, value in expected.items()
                if _differs(stored[name], value)
            }
            if diff:
                changes[pk] = diff
        return changes

    def _categories(self) -> dict[int, dict[str, tuple]]:
        topics = dict(
            Topic.objects.filter(state=VISIBLE)
            .values("category")
            .annotate(n=Count("pk"))
            .values_list("category", "n")
        )
        posts = dict(
            Post.objects.filter(state=VISIBLE, topic__state=VISIBLE)
            .values("topic__category")
            .annotate(n=Count("pk"))
            .values_list("topic__category", "n")
        )
        changes: dict[int, dict[str, tuple]] = {}
        for pk, topic_count, post_count in Category.objects.values_list(
            "pk", "topic_count", "post_count"
        ):
            diff = {}
            if topic_count != topics.get(pk, 0):
                diff["topic_count"] = (topic_count, topics.get(pk, 0))
            if post_count != posts.get(pk, 0):
                diff["post_count"] = (post_count, posts.get(pk, 0))
            if diff:
                changes[pk] = diff
        return changes

    def _tags(self) -> dict[int, dict[str, tuple]]:
        through = Topic.tags.through
        counts = dict(
            through.objects.filter(topic__state=VISIBLE)
            .values("tag")
            .annotate(n=Count("pk"))
            .values_list("tag", "n")
        )
        changes: dict[int, dict[str, tuple]] = {}
        for pk, topic_count in Tag.objects.values_list("pk", "topic_count"):
            if topic_count != counts.get(pk, 0):
                changes[pk] = {"topic_count": (topic_count, counts.get(pk, 0))}
        return changes

    def _report(self, model, changes: dict[int, dict[str, tuple]], show: int) -> None:
        name = model._meta.verbose_name_plural
        self.stdout.write(f"{name}: {len(changes)} to repair")
        for pk, diff in list(changes.items())[:show]:
            details = ", ".join(
                f"{field} {stored!r} → {expected!r}" for field, (stored, expected) in diff.items()
            )
            self.stdout.write(f"  {model.__name__} {pk}: {details}")
        if len(changes) > show:
            self.stdout.write(f"  … and {len(changes) - show} more")

    def _write(self, model, changes: dict[int, dict[str, tuple]]) -> None:
        fields = sorted({field for diff in changes.values() for field in diff})
        pks = list(changes)
        for start in range(0, len(pks), BATCH):
            batch = model.objects.only("pk", *fields).in_bulk(pks[start : start + BATCH])
            for pk, obj in batch.items():
                for field, (_stored, expected) in changes[pk].items():
                    setattr(obj, field, expected)
            model.objects.bulk_update(list(batch.values()), fields)
