"""Send the digests due now, or show who would get what with --dry-run.

Without a worker (the embedded default) the digests are built and sent in this process,
through the configured e-mail backend (files under var/mail/). With workers (REDIS_URL set),
one task per batch of members is queued, as the beat does every hour.
"""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User


class Command(BaseCommand):
    help = "Send the daily and weekly digests that are due (see --dry-run)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--frequency", choices=["daily", "weekly"], help="Only this digest (default: both)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List who would get which digest; send nothing."
        )
        parser.add_argument(
            "--now",
            help="Pretend it is this moment (ISO 8601, e.g. 2026-11-23T08:30+01:00); for tests.",
        )
        parser.add_argument(
            "--limit", type=int, default=50, help="Members shown in detail with --dry-run."
        )

    def handle(
        self, *args, frequency: str | None, dry_run: bool, now: str | None, limit: int, **options
    ) -> None:
        from config.celery import app
        from notifications import services, tasks

        moment = self._moment(now)
        frequencies = [frequency] if frequency else ["daily", "weekly"]
        for freq in frequencies:
            batches = list(services.digests_plan(frequency=freq, now=moment))
            members = sum(len(batch.user_ids) for batch in batches)
            self.stdout.write(f"{freq}: {members} member(s) due in {len(batches)} batch(es)")
            if dry_run:
                self._describe(batches, freq, moment, limit)
                continue
            for batch in batches:
                if app.conf.task_always_eager:
                    outcome = services.digest_batch_send(
                        frequency=freq,
                        period=batch.period,
                        user_ids=batch.user_ids,
                        claim_token=services.new_claim_token(),
                        now=moment,
                    )
                    self.stdout.write(
                        f"  {batch.period}: {outcome.sent} sent, {outcome.empty} with nothing "
                        f"new, {outcome.failed} failed"
                    )
                else:
                    services.publish(
                        tasks.send_digest_batch,
                        args=[freq, batch.period, batch.user_ids, moment.isoformat()],
                    )
            if batches and not app.conf.task_always_eager:
                self.stdout.write(f"  {len(batches)} task(s) queued for the workers")

    def _moment(self, now: str | None) -> datetime:
        if not now:
            return timezone.now()
        moment = parse_datetime(now)
        if moment is None:
            raise CommandError(f"--now: not an ISO 8601 date and time: {now!r}")
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment

    def _describe(self, batches, frequency: str, moment: datetime, limit: int) -> None:
        from notifications import services

        shown = 0
        for batch in batches:
            for user in User.objects.filter(pk__in=batch.user_ids).order_by("pk"):
                if shown >= limit:
                    self.stdout.write(f"  … (--limit {limit} reached)")
                    return
                content = services.digest_preview(user=user, frequency=frequency, now=moment)
                if content.is_empty:
                    what = "nothing new: no e-mail"
                else:
                    what = (
                        f"{len(content.notifications)} notification(s), "
                        f"{len(content.missed)} topic(s) with missed replies, "
                        f"{len(content.followed)} new in followed, "
                        f"{len(content.popular)} popular"
                        + (", review queue" if content.queue else "")
                    )
                self.stdout.write(
                    f"  {user.username} <{user.email}> [{user.language}, {user.timezone}, "
                    f"{batch.period}]: {what}"
                )
                shown += 1
