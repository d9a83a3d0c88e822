"""Soak and fault injection under the member mix: `make soak` (bench/README.md).

    .venv/bin/python bench/soak.py [--minutes 10] [--quick] [--faults worker,redis,postgres]
    .venv/bin/python bench/soak.py --ci        # CI's short form (`make soak SOAK_ARGS=--ci`)

The stack, started like `make loadtest` starts it (bench/loadtest.py): gunicorn (2 sync
workers, production settings), a Celery worker (concurrency 2) **and the beat**, a Redis of the
run's own (append-only file on, so that stopping and starting it keeps the queues as a real
server's persistence would), the bench database. locust runs the member mix for the whole
run while three faults are injected, each at a fixed share of the run:

    at 25 %  worker    ``kill -9`` of the whole Celery worker (main process and pool), a new
                       worker started 10 s later — as a supervisor would
    at 45 %  redis     Redis stopped (SIGTERM) for ``--redis-down`` seconds (30; 15 with
                       --quick), then started again on the same port
    at 70 %  postgres  every PostgreSQL connection of the run's processes cut from the server
                       side (``pg_terminate_backend``, what a restart or a failover does to
                       them). Only this run's connections: they carry an application_name
                       of the run's own, so nobody else's session on the server is touched.

A probe (one anonymous ``GET /latest/`` and one ``GET /healthz`` per second) records status
and latency through the run. Every 10 s the resident memory of every process is sampled.

Checks at the end (the run fails when one does not hold):
* no answer ≥ 500 outside the fault windows (a fault window is the fault's duration plus
  10 s); during the windows, every 5xx is counted and reported;
* the site answered during the Redis outage (the probe's statuses in that window);
* every reply and vote the load tool saw accepted is in the database, once
  (bench/loadcheck.py), and the outbox events of those replies are all processed — the
  notifications of replies made while Redis was down arrive after it returns;
* memory: each process's RSS growth from the first sample after the warm-up (a replacement
  worker: its first once it is ready) to the end is reported; more than ``--max-growth-mb``
  (default 60 MB) fails the run.

``--ci``: the short form CI runs — ``--quick`` (2 minutes, Redis down 15 s), 10 people, on
its own database ``causerie_bench_ci`` seeded with the small demo (``--size small``: built in
under a minute where the large set takes several), with every check above unchanged.

Writes ``bench/results/<date>-soak[-quick|-ci].json`` and prints a summary. Every process it
starts runs in a process group of its own and is stopped — then its group killed — when the
run ends, fails, or receives SIGTERM/SIGHUP/SIGINT.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path
from types import FrameType
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadtest  # bench/loadtest.py
import run as bench  # bench/run.py

ROOT = bench.ROOT
HOST = bench.HOST
log = bench.log
FAULTS = ("worker", "redis", "postgres")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)  # SIGINT already raises KeyboardInterrupt
SIZES = ("large", "small")  # seed_demo --size
# --ci: the small demo in a database of its own (the setup insists on "bench" in the name), so
# that CI never waits for the large set and never touches a developer's causerie_bench.
CI_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/causerie_bench_ci"
# Fewer people than the default 20: a 2-core CI machine also runs PostgreSQL and Redis, and the
# run checks failures and consistency, not throughput.
CI_USERS = 10


class Probe(threading.Thread):
    """One anonymous GET of a page and one of /healthz per second: (t, path, status, ms)."""

    def __init__(self, base_url: str, started: float) -> None:
        super().__init__(daemon=True)
        self.base_url = base_url
        self.started = started
        self.samples: list[tuple[float, str, int, float]] = []
        self.stopping = threading.Event()

    def _get(self, path: str) -> None:
        begun = time.monotonic()
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=10) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0  # no answer at all
        self.samples.append(
            (
                round(begun - self.started, 2),
                path,
                status,
                round((time.monotonic() - begun) * 1000, 1),
            )
        )

    def run(self) -> None:
        while not self.stopping.is_set():
            self._get("/latest/")
            self._get("/healthz")
            self.stopping.wait(1.0)


class MemorySampler(threading.Thread):
    """RSS of every process of the stack every `interval` seconds."""

    def __init__(self, sources, started: float, interval: float = 10) -> None:
        super().__init__(daemon=True)
        self.sources = sources  # callable -> {label: [pid, ...]}
        self.started = started
        self.interval = interval
        self.samples: list[dict] = []
        self.stopping = threading.Event()

    def sample(self) -> None:
        entry = {"t": round(time.monotonic() - self.started, 1), "rss_mb": {}}
        for label, pids in self.sources().items():
            for number, pid in enumerate(pids):
                figures = loadtest.memory_mb(pid)
                if figures["rss_mb"] is not None:
                    entry["rss_mb"][f"{label}[{number}] pid {pid}"] = figures["rss_mb"]
        self.samples.append(entry)

    def run(self) -> None:
        while not self.stopping.is_set():
            self.sample()
            self.stopping.wait(self.interval)


def post_reply(base_url: str, plan: dict, body: str) -> dict:
    """One member's reply, as a browser sends it (session and CSRF cookies): status, ms."""
    import secrets
    import string

    member = plan["members"][0]
    topic = next(t for t in plan["topics"] if t["reply"])
    secret = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    request = urllib.request.Request(
        f"{base_url}/t/{topic['id']}/reply/",
        data=urlencode({"body": body}).encode(),
        headers={
            "Cookie": f"{plan['csrf_cookie']}={secret}; {plan['session_cookie']}="
            f"{member['sessionid']}",
            "X-CSRFToken": secret,
        },
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    begun = time.monotonic()
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError:
        status = 0
    return {"status": status, "ms": round((time.monotonic() - begun) * 1000, 1), "body": body}


def terminate_connections(database_url: str, application_name: str) -> int:
    """Cut every connection of this run from the server side; return how many."""
    import psycopg

    parts = urlsplit(database_url)
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        dbname="postgres",
        autocommit=True,
    ) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = %s AND pid <> pg_backend_pid()",
            [application_name],
        ).fetchall()
    return sum(1 for (ok,) in rows if ok)


def failures_over_time(csv_prefix: Path) -> list[tuple[float, int, int]]:
    """(unix time, total requests, total failures) from locust's full stats history."""
    points = []
    with contextlib.suppress(OSError), open(f"{csv_prefix}_stats_history.csv") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] != "Aggregated":
                continue
            points.append(
                (
                    float(row["Timestamp"]),
                    int(row["Total Request Count"]),
                    int(row["Total Failure Count"]),
                )
            )
    return points


def parse_args(argv: list[str] | None = None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10, help="length of the load")
    parser.add_argument("--quick", action="store_true", help="2 minutes, Redis down 15 s")
    parser.add_argument(
        "--ci",
        action="store_true",
        help=f"CI's short form: --quick, --size small, {CI_USERS} users, causerie_bench_ci",
    )
    parser.add_argument("--users", type=int, help="simulated people (20; 10 with --ci)")
    parser.add_argument(
        "--size",
        choices=SIZES,
        help="seed_demo --size of the bench database (large; small with --ci)",
    )
    parser.add_argument("--faults", default=",".join(FAULTS), help="worker,redis,postgres")
    parser.add_argument("--redis-down", type=int, default=30, help="seconds Redis stays down")
    parser.add_argument("--max-growth-mb", type=float, default=60)
    parser.add_argument("--members", type=int, default=60)
    parser.add_argument(
        "--database-url", help="the bench database (causerie_bench; causerie_bench_ci with --ci)"
    )
    parser.add_argument("--skip-setup", action="store_true")
    parser.add_argument("--label")
    args = parser.parse_args(argv)
    # Options given explicitly win over what --ci implies.
    if args.ci:
        args.quick = True
    if args.users is None:
        args.users = CI_USERS if args.ci else 20
    args.size = args.size or ("small" if args.ci else "large")
    args.database_url = args.database_url or (
        CI_DATABASE_URL if args.ci else bench.DEFAULT_DATABASE_URL
    )
    if not 0 < args.users <= 500:
        parser.error("--users: 1..500")
    if args.quick:
        args.minutes, args.redis_down = 2, min(args.redis_down, 15)
    if not 0.5 <= args.minutes <= 120:
        parser.error("--minutes: 0.5..120")
    args.fault_list = [f.strip() for f in args.faults.split(",") if f.strip()]
    unknown = set(args.fault_list) - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults: {', '.join(sorted(unknown))}")
    args.label = args.label or ("soak-ci" if args.ci else "soak-quick" if args.quick else "soak")
    # what bench/loadtest.start_locust reads
    args.duration = int(args.minutes * 60)
    args.spawn_rate = 5
    return args


def stop_everything(
    *,
    locust: subprocess.Popen | None,
    web: bench.Gunicorn | None,
    celery: list[loadtest.CeleryProcess | None],
    redis: loadtest.PrivateRedis | None,
) -> None:
    """Stop what the run started, each on its own (one that fails to stop does not leave the
    others running), then SIGKILL each process group the run created: whatever outlived its
    leader (a pool process of a crashed worker, a gunicorn worker of a dead master) goes too.
    Every group is one this run started (``start_new_session``), killed by its id."""
    groups = [locust.pid] if locust is not None else []
    steps = []
    if web is not None:
        groups.append(web.process.pid)
        steps.append(("gunicorn", web.stop))
    for process in celery:
        if process is not None:
            groups.append(process.process.pid)
            steps.append((f"celery {process.name}", process.stop))
    if redis is not None:
        if redis.process is not None:
            groups.append(redis.process.pid)
        steps.append(("redis-server", redis.stop))
    if locust is not None:  # the load stops first
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(locust.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            locust.wait(timeout=10)
    for name, stop in steps:
        try:
            stop()
        except Exception as exc:  # the groups are killed below regardless
            log(f"stopping {name} failed ({exc!r}); killing its process group")
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


def _stop_on_signal(signum: int, _frame: FrameType | None) -> None:
    # Raised in the main thread: the run's `finally` stops every process it started, which
    # live in sessions of their own and would otherwise outlive a cancelled CI job.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for signum in STOP_SIGNALS:
        signal.signal(signum, _stop_on_signal)
    started_wall = time.monotonic()
    run_id = uuid.uuid4().hex[:8]
    application_name = f"causerie-soak-{run_id}"
    tagged_url = (
        args.database_url
        + ("&" if "?" in args.database_url else "?")
        + urlencode({"application_name": application_name})
    )
    report: dict = {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        "settings": {
            "minutes": args.minutes,
            "users": args.users,
            "data_size": args.size,
            "ci": args.ci,
            "faults": args.fault_list,
            "redis_down_s": args.redis_down,
            "gunicorn_workers": bench.WORKERS,
            "celery_concurrency": 2,
        },
        "machine": bench.machine(),
        "loadavg_at_start": bench.loadavg(),
        "faults": [],
    }
    log(
        f"soak {args.minutes} min, {args.users} users, --size {args.size} on "
        f"{urlsplit(args.database_url).path.lstrip('/')}, faults {args.fault_list}; "
        f"load average {bench.loadavg()}"
    )
    web = beat = None
    workers: list[loadtest.CeleryProcess] = []
    redis_server = None
    locust = None
    probe = sampler = None
    problems: list[str] = []
    logs_dir = ROOT / "var" / "bench-logs" / f"{datetime.now():%Y%m%d-%H%M%S}-{args.label}"
    with tempfile.TemporaryDirectory(prefix="causerie-soak-") as tmp:
        var_dir = Path(tmp)
        try:
            if not args.skip_setup:
                report["data"] = bench.setup_database(args.database_url, var_dir, args.size)
            else:
                loadtest.migrate(args.database_url, var_dir)
            redis_server = loadtest.PrivateRedis(var_dir, persistent=True)
            redis_server.start()
            env = loadtest.server_environment(
                database_url=tagged_url,
                redis_url=redis_server.url,
                var_dir=var_dir,
                prefix=f"causerie-soak-{run_id}",
            )
            bench.collectstatic(env)
            plan_path = var_dir / "plan.json"
            plan = loadtest.make_plan(env, plan_path, args.members)
            log(f"plan: {len(plan['topics'])} topics, {len(plan['members'])} member sessions")

            def start_worker(name: str) -> loadtest.CeleryProcess:
                worker = loadtest.CeleryProcess(
                    "worker", env=env, log_dir=var_dir, name=name, extra=["--concurrency=2"]
                )
                workers.append(worker)
                return worker

            start_worker("worker1")
            beat = loadtest.CeleryProcess(
                "beat",
                env=env,
                log_dir=var_dir,
                name="beat",
                extra=["--schedule", str(var_dir / "celerybeat-schedule")],
            )
            web = bench.Gunicorn(
                settings_module="config.settings", env=env, log_dir=var_dir, name="soak"
            )
            web.wait_ready("/")
            workers[0].wait_ready()
            beat.wait_ready()
            if bench.sanity_get(web.url("/"))[0] != 200:
                raise bench.BenchError(f"GET / failed:\n{web.log_path.read_text()[-3000:]}")

            t0 = time.monotonic()

            def processes() -> dict:
                found = {"gunicorn": web.workers(), "beat": [beat.process.pid]}
                for worker in workers:
                    # Sampled from "ready." on: a replacement worker sampled while it boots
                    # (seconds on a busy 2-core machine) would count its start-up as growth.
                    if worker.process.poll() is None and "ready." in worker.log():
                        found[worker.name] = worker.pids()
                return found

            sampler = MemorySampler(processes, t0)
            probe = Probe(web.url(""), t0)
            csv_prefix = var_dir / "locust"
            tally_path = var_dir / "tally.json"
            locust = loadtest.start_locust(
                url=web.url(""),
                plan_path=plan_path,
                tally_path=tally_path,
                csv_prefix=csv_prefix,
                args=args,
                log_dir=var_dir,
            )
            sampler.start()
            probe.start()
            duration = args.duration
            schedule = {"worker": 0.25, "redis": 0.45, "postgres": 0.70}
            crashes: list[dict] = []

            def supervise() -> None:
                """Restart a worker that exited by itself, as systemd's Restart=always would
                (honcho does not: it stops every process when one exits), and record why."""
                for worker in list(workers):
                    if worker.process.poll() is None or getattr(worker, "handled", False):
                        continue
                    if any(w is worker for w in killed):
                        continue
                    worker.handled = True
                    reason = next(
                        (line for line in worker.log().splitlines() if "CRITICAL" in line),
                        f"exit code {worker.process.returncode}",
                    )
                    at_s = round(time.monotonic() - t0, 1)
                    log(f"worker {worker.name} exited by itself at {at_s} s: {reason[:160]}")
                    start_worker(f"worker{len(workers) + 1}").wait_ready()
                    crashes.append(
                        {
                            "worker": worker.name,
                            "at_s": at_s,
                            "reason": reason[:500],
                            "restarted_after_s": round(time.monotonic() - t0 - at_s, 1),
                        }
                    )

            killed: list[loadtest.CeleryProcess] = []

            def wait_until(offset: float) -> None:
                while time.monotonic() - t0 < offset:
                    supervise()
                    time.sleep(0.5)

            for fault in sorted(args.fault_list, key=schedule.get):
                at = schedule[fault] * duration
                wait_until(at)
                began = round(time.monotonic() - t0, 1)
                record = {
                    "fault": fault,
                    "at_s": began,
                    "at_unix": round(time.time(), 1),
                    "loadavg": bench.loadavg(),
                }
                if fault == "worker":
                    victim = workers[-1]
                    record["killed_pids"] = victim.pids()
                    killed.append(victim)
                    victim.kill()
                    log(f"fault: kill -9 of the Celery worker {record['killed_pids']}")
                    time.sleep(10)
                    replacement = start_worker(f"worker{len(workers) + 1}")
                    replacement.wait_ready()
                    record["restarted_after_s"] = round(time.monotonic() - t0 - began, 1)
                elif fault == "redis":
                    log(f"fault: Redis stopped for {args.redis_down} s")
                    redis_server.stop(graceful=True)
                    time.sleep(2)
                    # A reply while Redis is down: saved, its notifications come afterwards.
                    record["reply_while_down"] = post_reply(
                        web.url(""), plan, f"Written while Redis is down ({run_id})."
                    )
                    time.sleep(max(0.0, args.redis_down - (time.monotonic() - t0 - began)))
                    redis_server.start()
                    log("Redis is back")
                    record["down_s"] = round(time.monotonic() - t0 - began, 1)
                elif fault == "postgres":
                    cut = terminate_connections(args.database_url, application_name)
                    record["connections_cut"] = cut
                    log(f"fault: {cut} PostgreSQL connections of this run cut")
                record["ended_at_s"] = round(time.monotonic() - t0, 1)
                record["ended_unix"] = round(time.time(), 1)
                report["faults"].append(record)
            wait_until(duration)
            loadtest.wait_locust(locust, duration=duration, log_dir=var_dir)
            locust = None
            supervise()
            report["worker_crashes"] = crashes
            probe.stopping.set()
            sampler.stopping.set()
            probe.join(timeout=15)
            sampler.join(timeout=15)
            sampler.sample()
            report["loadavg_at_end_of_load"] = bench.loadavg()

            # Notifications of replies made while Redis was down arrive after it returns:
            # wait for the beat's drain (every 30 s) to empty the load's outbox events.
            check = loadtest.check_tally(env, tally_path)
            deadline = time.monotonic() + 150
            while check["reply_events"].get("pending") and time.monotonic() < deadline:
                supervise()
                time.sleep(10)
                check = loadtest.check_tally(env, tally_path)
            report["check"] = check
            written = [f["reply_while_down"] for f in report["faults"] if "reply_while_down" in f]
            if written:
                down_tally = var_dir / "down-tally.json"
                down_tally.write_text(
                    json.dumps({"replies": [w["body"] for w in written], "votes": {}})
                )
                down_check = loadtest.check_tally(env, down_tally)
                while down_check["reply_events"] != {"done": 1} and time.monotonic() < deadline:
                    time.sleep(5)
                    down_check = loadtest.check_tally(env, down_tally)
                report["reply_while_redis_down"] = {**written[0], "check": down_check}
            report["results"] = loadtest.read_stats(csv_prefix)
            tally = json.loads(tally_path.read_text())
            report["tally"] = {
                "statuses": tally["statuses"],
                "refused": tally["refused"],
                "votes_accepted": len(tally["votes"]),
                "replies_accepted": len(tally["replies"]),
                "flags_accepted": len(tally["flags"]),
            }

            # Failed requests by time (locust's history is in unix seconds, one line per
            # second): inside a fault window (the fault, plus 10 s), or outside.
            unix_windows = [(f["at_unix"] - 1, f["ended_unix"] + 10) for f in report["faults"]]
            windows = [(f["at_s"], f["ended_at_s"] + 10, f["fault"]) for f in report["faults"]]
            outside = inside = 0
            previous_failures = 0
            for stamp, _requests, failures in failures_over_time(csv_prefix):
                new = failures - previous_failures
                previous_failures = failures
                if any(a <= stamp <= b for a, b in unix_windows):
                    inside += new
                else:
                    outside += new
            report["failures_in_fault_windows"] = inside
            report["failures_outside_fault_windows"] = outside

            probe_summary: dict = {}
            for fault_record in report["faults"]:
                a, b = fault_record["at_s"], fault_record["ended_at_s"] + 10
                for path in ("/latest/", "/healthz"):
                    statuses: dict[str, int] = {}
                    slowest = 0.0
                    for t, p, status, ms in probe.samples:
                        if p == path and a <= t <= b:
                            statuses[str(status)] = statuses.get(str(status), 0) + 1
                            slowest = max(slowest, ms)
                    probe_summary[f"{fault_record['fault']} {path}"] = {
                        "statuses": statuses,
                        "slowest_ms": slowest,
                    }
                # Recovery: from the fault's start, the probe's first 200 on /latest/ and how many
                # answers were not 200 before it.
                seq = [(t, st) for t, p, st, _ in probe.samples if p == "/latest/" and t >= a]
                first_ok = next((t for t, st in seq if st == 200), None)
                fault_record["latest_first_200_after_s"] = (
                    round(first_ok - a, 1) if first_ok is not None else None
                )
                fault_record["latest_not_200_before_it"] = sum(
                    1 for t, st in seq if st != 200 and (first_ok is None or t < first_ok)
                )
            outside_probe = [
                (t, p, s)
                for t, p, s, _ in probe.samples
                if p == "/latest/" and s != 200 and not any(a <= t <= b for a, b, _ in windows)
            ]
            report["probe"] = {
                "samples": len(probe.samples),
                "in_fault_windows": probe_summary,
                "latest_not_200_outside_windows": outside_probe[:20],
            }

            # Memory growth per process: from its first sample after the warm-up (10 % of the
            # run, or its own start when it started later, e.g. the replacement worker) to its
            # last sample.
            growth = {}
            for sample in sampler.samples:
                if sample["t"] < 0.1 * duration:
                    continue
                for label, rss in sample["rss_mb"].items():
                    entry = growth.setdefault(label, {"start_mb": rss, "from_s": sample["t"]})
                    entry["end_mb"] = rss
                    entry["to_s"] = sample["t"]
                    entry["growth_mb"] = round(rss - entry["start_mb"], 1)
            report["memory"] = {"growth": growth, "samples": sampler.samples}

            server_errors = [
                line
                for line in web.log_path.read_text(errors="replace").splitlines()
                if " ERROR " in line
            ]
            report["server_errors_logged"] = {
                "count": len(server_errors),
                "first": server_errors[:15],
            }
            worker_logs = "\n".join(w.log() for w in workers)
            report["worker_log"] = {
                "tasks_succeeded": worker_logs.count(" succeeded in "),
                "errors": [
                    line
                    for line in worker_logs.splitlines()
                    if " ERROR/" in line or "CRITICAL" in line
                ][:15],
            }

            total = report["results"]["requests"].get("TOTAL", {})
            if outside:
                problems.append(f"{outside} failed requests outside the fault windows")
            if outside_probe:
                problems.append(f"{len(outside_probe)} probe answers ≠ 200 outside fault windows")
            if not check["ok"]:
                problems.append("the database does not hold what the load tool saw accepted")
            if check["reply_events"].get("pending"):
                problems.append(f"{check['reply_events']['pending']} reply events still pending")
            for label, figures in growth.items():
                if figures["growth_mb"] > args.max_growth_mb:
                    problems.append(f"{label} grew {figures['growth_mb']} MB")
            if "redis" in args.fault_list:
                during = probe_summary.get("redis /latest/", {}).get("statuses", {})
                if any(code.startswith("5") or code == "0" for code in during):
                    problems.append(f"/latest/ failed while Redis was down: {during}")
            down = report.get("reply_while_redis_down")
            if down and (
                down["status"] != 302
                or down["check"]["replies_found"] != 1
                or down["check"]["reply_events"] != {"done": 1}
            ):
                problems.append(f"the reply made while Redis was down: {down}")
            for crash in crashes:
                problems.append(
                    f"Celery worker {crash['worker']} exited by itself at {crash['at_s']} s "
                    f"(restarted by the soak, as a supervisor would): {crash['reason'][:200]}"
                )
            report["problems"] = problems
            report["ok"] = not problems
            report["total"] = total
        except bench.BenchError as exc:
            log(f"FAILED: {exc}")
            for process in (web, beat, *workers):
                if process is not None:
                    with contextlib.suppress(Exception):
                        text = (
                            process.log_path.read_text(errors="replace")
                            if hasattr(process, "log_path")
                            else ""
                        )
                        log(f"--- {process.log_path.name} ---\n{text[-2000:]}")
            return 1
        finally:
            # A second SIGTERM (an impatient CI runner) must not cut the cleanup short.
            for signum in STOP_SIGNALS:
                signal.signal(signum, signal.SIG_IGN)
            # The processes' logs outlive the temporary directory (var/ is not versioned).
            with contextlib.suppress(OSError):
                logs_dir.mkdir(parents=True, exist_ok=True)
                for path in var_dir.glob("*.log"):
                    shutil.copy(path, logs_dir / path.name)
            for thread in (probe, sampler):
                if thread is not None:
                    thread.stopping.set()
            stop_everything(locust=locust, web=web, celery=[*workers, beat], redis=redis_server)
    report["loadavg_at_end"] = bench.loadavg()
    report["elapsed_s"] = round(time.monotonic() - started_wall, 1)
    report["logs"] = str(logs_dir.relative_to(ROOT))
    out = bench.results_path(args.label)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(loadtest.table(report["results"]))
    print()
    for record in report["faults"]:
        summary = {k: v for k, v in record.items() if k not in ("fault", "loadavg", "killed_pids")}
        print(f"fault {record['fault']:<9} {summary}")
    for name, figures in report["probe"]["in_fault_windows"].items():
        print(f"probe during {name:<22} {figures}")
    down = report.get("reply_while_redis_down")
    if down:
        print(
            f"reply while Redis was down: {down['status']} in {down['ms']} ms; in the database "
            f"{down['check']['replies_found']}/1, its outbox event {down['check']['reply_events']}"
        )
    print(
        f"5xx/failed requests: {report['failures_in_fault_windows']} inside fault windows, "
        f"{report['failures_outside_fault_windows']} outside"
    )
    check = report["check"]
    print(
        f"database: replies {check['replies_found']}/{check['replies_expected']}, votes "
        f"{check['votes_found']}/{check['votes_expected']}, reply events {check['reply_events']}"
    )
    for label, figures in report["memory"]["growth"].items():
        print(
            f"memory {label:<26} {figures['start_mb']:>7} → {figures['end_mb']:>7} MB "
            f"(from {figures['from_s']:.0f} s to {figures['to_s']:.0f} s)"
        )
    print(
        f"load average at start {report['loadavg_at_start']}, end of load "
        f"{report['loadavg_at_end_of_load']}"
    )
    print(
        f"errors logged: server {report['server_errors_logged']['count']} (503s of /healthz "
        f"while Redis is down included), workers {report['worker_log']['errors'][:3]}"
    )
    print(f"logs: {report['logs']}")
    print(f"results: {out.relative_to(ROOT)}")
    if problems:
        print("PROBLEMS:\n  " + "\n  ".join(problems))
        return 2
    print("soak: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
