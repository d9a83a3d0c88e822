"""Repair the ideas' denormalised data from the rows it summarises.

Dry run by default: prints what differs. ``--apply`` writes (in one transaction):

* ``Idea.vote_count`` = the idea's supports that are not discounted;
* a missing ``Idea`` row for every topic of kind "idea" (topics created before the ideas app
  was installed, or by a bulk load that bypassed the services).

Repairs write absolute values: this is the one place where the count is not changed by F()
increments, because it is the tool that fixes them when increments went wrong.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count, Q

from community.models import Topic, TopicKind
from ideas.models import Idea


class Command(BaseCommand):
    help = "Recompute idea supports counts and create missing Idea rows. Dry run unless --apply."

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="Write the corrected values.")

    def handle(self, *args, apply: bool, **options):
        with transaction.atomic():
            missing = list(
                Topic.objects.filter(kind=TopicKind.IDEA, idea__isnull=True).values_list(
                    "pk", "created_at"
                )
            )
            wrong = [
                (pk, stored, counted)
                for pk, stored, counted in Idea.objects.annotate(
                    counted=Count("votes", filter=Q(votes__discounted=False))
                ).values_list("pk", "vote_count", "counted")
                if stored != counted
            ]
            for pk, _created in missing:
                self.stdout.write(f"idea topic {pk}: no Idea row")
            for pk, stored, counted in wrong:
                self.stdout.write(f"idea {pk}: vote_count {stored} -> {counted}")
            if apply:
                Idea.objects.bulk_create(
                    [Idea(topic_id=pk, created_at=created) for pk, created in missing],
                    ignore_conflicts=True,
                )
                for pk, _stored, counted in wrong:
                    Idea.objects.filter(pk=pk).update(vote_count=counted)
        verb = "fixed" if apply else "to fix (dry run; --apply writes)"
        self.stdout.write(f"{len(missing) + len(wrong)} {verb}")
