"""Notifications at scale, with real Celery workers, a real Redis and PostgreSQL.

Run from the project root (a script, not a test; every phase is bounded in time):

    .venv/bin/python bench/bench_notifications.py [--members 100000] [--workers 2]
        [--phase all|fanout|digests] [--timeout 600] [--email-timeout 300]
        [--database-url postgres://postgres@127.0.0.1:5432/causerie_bench_notifications]

What it measures
    fan-out   one new topic in a category watched by every member: the time until every
              in-app notification exists (the outbox task, the chunked fan-out tasks), then the
              time until every immediate e-mail is written (bounded by --email-timeout).
    digests   the weekly digest of every member (each gets five new topics of the category
              they follow): total time from planning to the last digest, and e-mails/s.

Set-up
    * its own database (created if missing, migrated) and its own redis-server on a free port,
      so nothing shared is disturbed; members are bulk-inserted once and reused by later runs;
    * ``--workers`` worker processes of concurrency 1 (the "2 workers on 2 cores" of the issue),
      loglevel WARNING, e-mails written by Django's file backend into a temporary folder that
      is deleted at the end (``--keep-mail`` keeps it);
    * the merging delay of immediate e-mails is 0 (the workers send as soon as they can).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/causerie_bench_notifications"
BENCH_PREFIX = "bench"
NEWS_TOPICS = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


class Services:
    """The private redis-server and the worker processes of the run."""

    def __init__(self, *, database_url: str, workers: int, mail_root: Path) -> None:
        self.database_url = database_url
        self.worker_count = workers
        self.mail_root = mail_root
        self.redis_port = free_port()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.redis: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def start_redis(self) -> None:
        self.redis = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.mail_root),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.redis_port, socket_connect_timeout=0.5)
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis.RedisError:
                time.sleep(0.1)
        raise SystemExit("redis-server did not start")

    def start_workers(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "CAUSERIE_VAR_DIR": str(self.mail_root / "var"),
            "NOTIFICATIONS_EMAIL_DELAY_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
        }
        for number in range(self.worker_count):
            log = self.mail_root / f"worker-{number}.log"
            self.logs.append(log)
            self.workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "config",
                        "worker",
                        "--pool=prefork",
                        "--concurrency=1",
                        f"--hostname=bench{number}@%h",
                        "--without-gossip",
                        "--without-mingle",
                        "--without-heartbeat",
                        "--loglevel=INFO",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log.open("w"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + 60
        for log in self.logs:
            while "ready." not in log.read_text(errors="replace"):
                if time.monotonic() > deadline:
                    raise SystemExit(f"a worker did not start:\n{log.read_text()[-2000:]}")
                time.sleep(0.2)

    def stop(self) -> None:
        for process in self.workers:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for process in self.workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if self.redis is not None:
            self.redis.kill()
            self.redis.wait()


def seed(members: int) -> dict:
    """Members (verified, all watching the bench category), NEWS_TOPICS topics of the last
    days for the digests. Bulk inserts, not services: this is the data generator."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import transaction

    from accounts.models import TrustLevel, User
    from community.models import Category, CategorySubscription, NotificationLevel, Post, Topic
    from community.ranking import hot_score

    category, _ = Category.objects.get_or_create(
        slug="bench-kettles", defaults={"name": "Bench kettles"}
    )
    existing = User.objects.filter(username__startswith=BENCH_PREFIX).count()
    started = time.monotonic()
    batch = 5000
    zones = ["Europe/Paris", "Europe/Paris", "Europe/Paris", "Europe/Brussels"]
    for start in range(existing, members, batch):
        with transaction.atomic():
            users = User.objects.bulk_create(
                [
                    User(
                        username=f"{BENCH_PREFIX}{n}",
                        email=f"{BENCH_PREFIX}{n}@example.org",
                        password=make_password(None),  # cannot sign in (no hashing cost)
                        language="fr" if n % 3 == 0 else "en",
                        timezone=zones[n % len(zones)],
                        trust_level=TrustLevel.BASIC,
                    )
                    for n in range(start, min(start + batch, members))
                ]
            )
            EmailAddress.objects.bulk_create(
                [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users]
            )
            watching = NotificationLevel.WATCHING
            CategorySubscription.objects.bulk_create(
                [CategorySubscription(user=u, category=category, level=watching) for u in users]
            )
        print(f"  seeded {min(start + batch, members)}/{members} members", flush=True)
    poster = User.objects.get(username=f"{BENCH_PREFIX}0")
    poster.groups.add(Group.objects.get_or_create(name="Member")[0])
    if not Topic.objects.filter(category=category, title__startswith="Bench news").exists():
        now = datetime.now(tz=ZoneInfo("UTC"))
        for n in range(NEWS_TOPICS):
            created = now - timedelta(hours=6 * (n + 1))
            topic = Topic.objects.create(
                category=category,
                author=poster,
                author_name=poster.username,
                title=f"Bench news number {n}: descaling the Aurora kettle",
                created_at=created,
                last_activity_at=created,
                highest_post_number=1,
                hot=hot_score(n, created),
                score=n,
            )
            Post.objects.create(
                topic=topic,
                number=1,
                author=poster,
                author_name=poster.username,
                body="Descale it with citric acid every month.",
                body_html="<p>Descale it with citric acid every month.</p>",
                created_at=created,
            )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics, as autovacuum keeps them in production
    return {
        "members": User.objects.filter(username__startswith=BENCH_PREFIX).count(),
        "seed_seconds": round(time.monotonic() - started, 1),
        "category_id": category.pk,
    }


def clear_notifications() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE notifications_delivery, notifications_notification, notifications_digest, "
            "notifications_outbox RESTART IDENTITY"
        )


TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int, *, with_children: bool = False) -> float:
    """CPU seconds (user + system) of one process, from /proc; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # Fields after the command: state is [0]; utime, stime, cutime, cstime are [11]..[14].
    used = int(fields[11]) + int(fields[12])
    if with_children:  # exited children (a replaced pool process) are counted here
        used += int(fields[13]) + int(fields[14])
    return used / TICKS


class CpuMeter:
    """CPU seconds used by this run's processes during a phase: the workers (main and pool
    processes), this database's PostgreSQL backends, the private redis-server and this
    script; and the machine's load, to tell how much of the two cores the run really had."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def _pids(self) -> dict[str, list[int]]:
        from django.conf import settings
        from django.db import connection

        workers = []
        for process in self.services.workers:
            workers.append(process.pid)
            children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
            with contextlib.suppress(OSError):
                workers += [int(pid) for pid in children.read_text().split()]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s",
                [settings.DATABASES["default"]["NAME"]],
            )
            backends = [row[0] for row in cursor.fetchall()]
        redis = [self.services.redis.pid] if self.services.redis else []
        return {"workers": workers, "postgres": backends, "redis": redis, "bench": [os.getpid()]}

    def _sample(self) -> dict[str, dict[int, float]]:
        return {
            group: {pid: _cpu_of(pid, with_children=group == "workers") for pid in pids}
            for group, pids in self._pids().items()
        }

    @staticmethod
    def _machine() -> tuple[float, float]:
        """(busy, total) CPU seconds of the whole machine since boot."""
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = values[3] + values[4]
        return (sum(values) - idle) / TICKS, sum(values) / TICKS

    def tick(self) -> None:
        """Remember every process's latest CPU: a PostgreSQL backend that closes before the
        end of the phase (connections are recycled between tasks) still counts."""
        for group, pids in self._sample().items():
            seen = self.latest.setdefault(group, {})
            for pid, cpu in pids.items():
                seen[pid] = max(cpu, seen.get(pid, 0.0))

    def __enter__(self) -> CpuMeter:
        self.latest: dict[str, dict[int, float]] = {}
        self.start = self._sample()
        self.machine_start = self._machine()
        self.load_start = os.getloadavg()[0]
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        self.tick()
        end = self.latest
        busy_end, _total_end = self._machine()
        self.seconds = time.monotonic() - self.started
        self.used = {
            group: round(sum(cpu - self.start[group].get(pid, 0.0) for pid, cpu in pids.items()), 1)
            for group, pids in end.items()
        }
        self.machine_busy = round(busy_end - self.machine_start[0], 1)
        self.load = (round(self.load_start, 2), round(os.getloadavg()[0], 2))

    def report(self, items: int) -> dict:
        ours = sum(self.used.values())
        return {
            "cpu_seconds": self.used,
            "cpu_seconds_total": round(ours, 1),
            "cpu_ms_per_item": round(ours / max(items, 1) * 1000, 2),
            # Everything the machine ran meanwhile, other people's processes included.
            "machine_busy_cpu_seconds": self.machine_busy,
            "share_of_machine_ours": round(ours / self.machine_busy, 2)
            if self.machine_busy
            else None,
            "load_average_start_end": self.load,
            # What the same work needs on two cores of its own (CPU-bound; a lower bound).
            "projected_seconds_on_2_free_cores": round(ours / 2, 1),
        }


def wait_until(predicate, *, timeout: float, every: float = 0.5, meter: CpuMeter | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if meter is not None:
            meter.tick()
        value = predicate()
        if value:
            return value
        time.sleep(every)
    return None


def bench_fanout(
    *, category_id: int, timeout: float, email_timeout: float, meter: CpuMeter
) -> dict:
    from accounts.models import User
    from community import services as community
    from community.models import Category
    from notifications.models import Delivery, DeliveryStatus, Notification

    clear_notifications()
    poster = User.objects.get(username=f"{BENCH_PREFIX}0")
    category = Category.objects.get(pk=category_id)
    expected = User.objects.filter(username__startswith=BENCH_PREFIX).count() - 1

    meter.__enter__()
    started = time.monotonic()
    # A text of its own each run: moderation holds a text posted three times in a day.
    stamp = datetime.now().isoformat(timespec="seconds")
    topic = community.topic_create(
        actor=poster,
        category=category,
        title=f"Fan-out: a new kettle is out ({stamp})",
        body=f"The Aurora 2 is out, announced at {stamp}.",
    )
    post_seconds = time.monotonic() - started
    if topic.state != "visible":
        raise SystemExit(f"the bench topic was {topic.state} by moderation: nothing to fan out")
    done = wait_until(
        lambda: Notification.objects.filter(topic=topic).count() >= expected,
        timeout=timeout,
        meter=meter,
    )
    in_app_seconds = time.monotonic() - started
    created = Notification.objects.filter(topic=topic).count()
    result = {
        "watchers": expected,
        "post_request_seconds": round(post_seconds, 3),
        "notifications_created": created,
        "all_in_app_seconds": round(in_app_seconds, 1) if done else None,
        "in_app_per_second": round(created / in_app_seconds),
    }
    meter.__exit__(None, None, None)
    result["in_app_cpu"] = meter.report(created)
    print(
        f"  fan-out: {created}/{expected} in-app notifications in {in_app_seconds:.1f} s",
        flush=True,
    )
    meter.__enter__()
    sent_query = Delivery.objects.filter(status=DeliveryStatus.SENT)
    emails_done = wait_until(
        lambda: sent_query.count() >= expected, timeout=email_timeout, every=2, meter=meter
    )
    email_seconds = time.monotonic() - started
    sent = sent_query.count()
    meter.__exit__(None, None, None)
    result["emails_cpu"] = meter.report(sent)
    result.update(
        {
            "emails_sent": sent,
            "all_emails_seconds": round(email_seconds, 1) if emails_done else None,
            "emails_per_second": round(sent / email_seconds, 1),
        }
    )
    print(
        f"  fan-out: {sent}/{expected} immediate e-mails in {email_seconds:.1f} s "
        f"({sent / email_seconds:.0f}/s){'' if emails_done else ' (timeout)'}",
        flush=True,
    )
    return result


def bench_digests(*, timeout: float, meter: CpuMeter) -> dict:
    from django.db import connection
    from django.db.models import Count

    from accounts.models import User
    from notifications import services
    from notifications.models import Digest, DigestStatus

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE notifications_digest RESTART IDENTITY")
    members = User.objects.filter(username__startswith=BENCH_PREFIX).count()
    # Monday 9:00 in Paris: the default weekly digest (Monday, 8:00) is due for everyone.
    local = datetime.now(tz=ZoneInfo("Europe/Paris"))
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    meter.__enter__()
    started = time.monotonic()
    batches = services.digests_enqueue(frequency="weekly", now=monday)
    plan_seconds = time.monotonic() - started
    finished = [DigestStatus.SENT, DigestStatus.EMPTY, DigestStatus.FAILED, DigestStatus.SKIPPED]
    done = wait_until(
        lambda: Digest.objects.filter(status__in=finished).count() >= members,
        timeout=timeout,
        every=1,
        meter=meter,
    )
    total = time.monotonic() - started
    meter.__exit__(None, None, None)
    counts = dict(
        Digest.objects.values("status").annotate(n=Count("id")).values_list("status", "n")
    )
    sent = counts.get(DigestStatus.SENT, 0)
    print(
        f"  digests: {sent} sent of {members} in {total:.1f} s ({sent / total:.0f} e-mails/s)"
        f"{'' if done else ' (timeout)'}",
        flush=True,
    )
    return {
        "members": members,
        "batches": batches,
        "plan_seconds": round(plan_seconds, 1),
        "total_seconds": round(total, 1) if done else None,
        "statuses": counts,
        "emails_per_second": round(sent / total, 1),
        "cpu": meter.report(sent),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--phase", choices=["all", "fanout", "digests"], default="all")
    parser.add_argument("--timeout", type=float, default=600, help="Bound of each phase (s).")
    parser.add_argument(
        "--email-timeout",
        type=float,
        default=300,
        help="Bound of the wait for the fan-out's immediate e-mails (s).",
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--keep-mail", action="store_true")
    args = parser.parse_args()

    if shutil.which("redis-server") is None:
        raise SystemExit("needs redis-server on the PATH")
    ensure_database(args.database_url)
    # SIGTERM (timeout, kill) unwinds like Ctrl-C, so the workers and Redis are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    mail_root = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
    services = Services(database_url=args.database_url, workers=args.workers, mail_root=mail_root)
    services.start_redis()
    os.environ.update(
        {
            "DATABASE_URL": args.database_url,
            "REDIS_URL": services.redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "CAUSERIE_VAR_DIR": str(mail_root / "var"),
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.COMMUNITY_DAILY_LIMITS = {}
    call_command("migrate", verbosity=0)
    results: dict = {"cpu_count": os.cpu_count(), "workers": args.workers}
    try:
        print(f"seeding {args.members} members…", flush=True)
        results["seed"] = seed(args.members)
        services.start_workers()
        if args.phase in ("all", "fanout"):
            results["fanout"] = bench_fanout(
                category_id=results["seed"]["category_id"],
                timeout=args.timeout,
                email_timeout=args.email_timeout,
                meter=CpuMeter(services),
            )
        if args.phase in ("all", "digests"):
            results["weekly_digests"] = bench_digests(
                timeout=args.timeout, meter=CpuMeter(services)
            )
    finally:
        services.stop()
        if args.keep_mail:
            print(f"mail and worker logs kept in {mail_root}")
        else:
            shutil.rmtree(mail_root, ignore_errors=True)
    print(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
