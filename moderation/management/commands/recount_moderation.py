"""Repair moderation's denormalised counters: review items' score and flag count, and the
flaggers' agreed/disagreed/ignored records. A dry run unless --apply."""

from django.core.management.base import BaseCommand

from moderation import services


class Command(BaseCommand):
    help = "Recount review item scores and flagger records (dry run unless --apply)."

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="write the corrections")

    def handle(self, *args, apply: bool = False, **options):
        items = services.review_scores_recount(apply=apply)
        records = services.flagger_records_recount(apply=apply)
        verb = "fixed" if apply else "wrong (dry run, use --apply)"
        self.stdout.write(f"review items {verb}: {items}")
        self.stdout.write(f"flagger records {verb}: {records}")
