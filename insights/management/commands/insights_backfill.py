import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from insights import metrics, services


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from exc


class Command(BaseCommand):
    help = (
        "Rebuild the daily metrics of a range of days from the raw tables (derived rows only: "
        "each day's rows are replaced). Default: from the day of the first post to today."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", help="last day, YYYY-MM-DD (default: today)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, start=None, end=None, no_progress=False, **options):
        first = _date(start) if start else metrics.first_activity_day()
        if first is None:
            self.stdout.write("No posts yet: nothing to compute.")
            return
        last = _date(end) if end else metrics.local_today()
        if first > last:
            raise CommandError("--from must not be after --to")
        days = (last - first).days + 1
        with tqdm(total=days, unit="day", disable=no_progress, file=self.stderr._out) as bar:
            rows = services.metrics_range_compute(
                start=first, end=last, progress=lambda day: bar.update(1)
            )
        self.stdout.write(
            self.style.SUCCESS(f"{days} days recomputed ({first} to {last}), {rows} rows.")
        )
