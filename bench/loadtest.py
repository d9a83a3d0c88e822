"""The member-mix load test: `make loadtest` (bench/README.md has the method and the figures).

    .venv/bin/python bench/loadtest.py [--quick] [--users 30] [--duration 60] [--skip-setup]

What it does, every step bounded in time (load only ever targets 127.0.0.1):

1. The bench database, exactly as `make bench` builds it (``bench/run.py``'s
   ``setup_database``: ``causerie_bench``, the large seed), unless ``--skip-setup``.
2. A Redis server of the run's own (``redis-server`` on a free port, no persistence), so the
   run's broker queue and cache keys cannot mix with anything else on the machine's Redis;
   ``--redis-url`` uses an existing one instead.
3. gunicorn started like ``make bench`` starts it (2 sync workers, production settings over
   plain HTTP, ``DB_CONN_MAX_AGE=60``, anonymous page cache on) and a real Celery worker
   (``--concurrency 2``): replies, votes and flags schedule notifications through the outbox.
4. ``bench/loadplan.py`` picks pages and posts and opens sessions for members (trust level 2
   or more) and one moderator.
5. locust, headless, ``bench/locustfile.py`` (anonymous readers, members reading, voting,
   replying and flagging, one moderator on the queue) for ``--duration`` seconds.
6. Checks: every reply and vote the load tool saw accepted is in the database
   (``bench/loadcheck.py``); peak memory of each gunicorn and Celery process.

Prints one table (p50/p95/p99, req/s, errors per request kind, plus the total) and writes
``bench/results/<date>-member-mix[-quick].json``. An error is an answer ≥ 400 other than a
daily-limit refusal (429, counted apart) or a failed connection.
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
import time
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # bench/run.py: the helpers `make bench` uses

ROOT = bench.ROOT
HOST = bench.HOST
LOCUST = str(bench.VENV_BIN / "locust")
CELERY = str(bench.VENV_BIN / "celery")
log = bench.log


# --- Processes of the run's own -------------------------------------------------------------------


class PrivateRedis:
    """redis-server on a free port of 127.0.0.1, the run's own."""

    def __init__(self, directory: Path, *, persistent: bool = False) -> None:
        if shutil.which("redis-server") is None:
            raise bench.BenchError("redis-server is missing (apt-get install redis-server)")
        self.directory = directory
        self.persistent = persistent  # append-only file: a stop and start keeps the queues
        self.port = bench.free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                HOST,
                "--save",
                "",
                "--appendonly",
                "yes" if self.persistent else "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                if client.ping():
                    return
            time.sleep(0.1)
        raise bench.BenchError("redis-server did not start")

    def stop(self, *, graceful: bool = False) -> None:
        """SIGKILL (a crash), or SIGTERM (Redis writes its append-only file and exits)."""
        if self.process is not None and self.process.poll() is None:
            if graceful:
                self.process.terminate()
            else:
                self.process.kill()
            self.process.wait(timeout=30)
        self.process = None


class CeleryProcess:
    """A Celery worker or beat in its own process group (so kill -9 reaches its children)."""

    def __init__(self, kind: str, *, env: dict, log_dir: Path, name: str, extra: list[str]):
        self.kind = kind
        self.name = name
        self.log_path = log_dir / f"celery-{name}.log"
        self._log = self.log_path.open("a")
        cmd = [CELERY, "-A", "config", kind, "--loglevel=INFO", *extra]
        if kind == "worker":
            cmd += [
                f"--hostname={name}-{uuid.uuid4().hex[:6]}@%h",
                "--without-gossip",
                "--without-mingle",
            ]
        self.process = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 90) -> None:
        marker = "ready." if self.kind == "worker" else "beat: Starting"
        deadline = time.monotonic() + timeout
        while marker not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise bench.BenchError(f"celery {self.kind} did not start:\n{self.log()[-3000:]}")
            time.sleep(0.3)

    def pids(self) -> list[int]:
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        return [pid, *(int(c) for c in children)]

    def kill(self) -> None:
        """kill -9 the whole process group: nothing cleans up, as after a crash."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


def memory_mb(pid: int) -> dict:
    values = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, amount = line.split(":", 1)
                values[key] = round(int(amount.split()[0]) / 1024, 1)
    return {"pid": pid, "rss_mb": values.get("VmRSS"), "peak_rss_mb": values.get("VmHWM")}


# --- Plan, load, checks ------------------------------------------------------------------------


def server_environment(*, database_url: str, redis_url: str, var_dir: Path, prefix: str) -> dict:
    """The environment `make bench` gives gunicorn (bench/run.py), for the web, the worker and
    the beat alike."""
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": f"bench-only-{uuid.uuid4().hex}",
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "DB_CONN_MAX_AGE": "60",
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": prefix,
        "CAUSERIE_VAR_DIR": str(var_dir),
        "COMMUNITY_ANON_CACHE": "1",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DATABASE_REPLICA_URL", None)
    return env


def migrate(database_url: str, var_dir: Path) -> None:
    """Even with --skip-setup: code newer than the database answers 500 on every write."""
    env = {**os.environ, "DATABASE_URL": database_url, "CAUSERIE_VAR_DIR": str(var_dir)}
    for key in ("REDIS_URL", "DJANGO_ENV", "DJANGO_SETTINGS_MODULE", "DATABASE_REPLICA_URL"):
        env.pop(key, None)
    bench.run([bench.PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env=env, timeout=900)


def make_plan(env: dict, path: Path, members: int) -> dict:
    output = bench.run(
        [bench.PYTHON, "bench/loadplan.py"],
        env={**env, "LOADPLAN_MEMBERS": str(members)},
        timeout=300,
        capture=True,
    ).stdout
    plan = bench.last_json_line(output)
    path.write_text(json.dumps(plan))
    return plan


def start_locust(
    *, url: str, plan_path: Path, tally_path: Path, csv_prefix: Path, args, log_dir: Path
) -> subprocess.Popen:
    if urlsplit(url).hostname != HOST:
        raise bench.BenchError(f"refusing to load anything but {HOST}: {url}")
    cmd = [
        LOCUST,
        "-f",
        str(bench.BENCH / "locustfile.py"),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{args.duration}s",
        "--host",
        url,
        "--csv",
        str(csv_prefix),
        "--only-summary",
        "--stop-timeout",
        "5",
        "--exit-code-on-error",
        "0",
        "--loglevel",
        "WARNING",
    ]
    env = {
        **os.environ,
        "LOADTEST_PLAN": str(plan_path),
        "LOADTEST_TALLY": str(tally_path),
        "LOADTEST_RUN_ID": uuid.uuid4().hex[:8],
    }
    return subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=(log_dir / "locust.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_locust(process: subprocess.Popen, *, duration: float, log_dir: Path) -> None:
    try:
        process.wait(timeout=duration + 120)
    except subprocess.TimeoutExpired as exc:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        raise bench.BenchError("locust did not stop in time") from exc
    if process.returncode not in (0, 1):
        raise bench.BenchError(
            f"locust failed ({process.returncode}):\n{(log_dir / 'locust.log').read_text()[-3000:]}"
        )


def read_stats(csv_prefix: Path) -> dict:
    """Locust's `<prefix>_stats.csv`: one row per request kind and the `Aggregated` row."""
    rows = {}
    with open(f"{csv_prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            name = row["Name"] if row["Name"] != "Aggregated" else "TOTAL"
            requests = int(row["Request Count"])
            failures = int(row["Failure Count"])
            rows[name] = {
                "method": row["Type"],
                "requests": requests,
                "failures": failures,
                "error_rate": round(failures / requests, 4) if requests else 0.0,
                "rps": round(float(row["Requests/s"]), 1),
                "p50_ms": float(row["50%"] or 0),
                "p95_ms": float(row["95%"] or 0),
                "p99_ms": float(row["99%"] or 0),
                "max_ms": round(float(row["Max Response Time"] or 0), 1),
            }
    failures = []
    with contextlib.suppress(OSError), open(f"{csv_prefix}_failures.csv", newline="") as handle:
        failures = [
            {"name": r["Name"], "error": r["Error"], "count": int(r["Occurrences"])}
            for r in csv.DictReader(handle)
        ]
    return {"requests": rows, "failures": failures}


def check_tally(env: dict, tally_path: Path) -> dict:
    output = bench.run(
        [bench.PYTHON, "bench/loadcheck.py", str(tally_path)], env=env, timeout=300, capture=True
    ).stdout
    return bench.last_json_line(output)


def table(stats: dict) -> str:
    header = (
        f"{'request':<28} {'count':>7} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7} {'error %':>8}"
    )
    lines = [header, "-" * len(header)]
    rows = stats["requests"]
    for name in sorted(rows, key=lambda n: (n == "TOTAL", -rows[n]["requests"])):
        r = rows[name]
        lines.append(
            f"{(r['method'] + ' ' + name)[:28]:<28} {r['requests']:>7} {r['rps']:>7.1f} "
            f"{r['p50_ms']:>8.0f} {r['p95_ms']:>8.0f} {r['p99_ms']:>8.0f} {r['failures']:>7} "
            f"{r['error_rate']:>8.2%}"
        )
    return "\n".join(lines)


def results_path(label: str) -> Path:
    return bench.results_path(label)


# --- Main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 s with 15 users (a smoke run)")
    parser.add_argument("--users", type=int, default=30, help="simulated people at once")
    parser.add_argument("--spawn-rate", type=float, default=10, help="people started per second")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--members", type=int, default=60, help="member sessions to open")
    parser.add_argument("--database-url", default=bench.DEFAULT_DATABASE_URL)
    parser.add_argument(
        "--redis-url", help="an existing Redis (default: a redis-server of the run's own)"
    )
    parser.add_argument("--skip-setup", action="store_true", help="the database is ready")
    parser.add_argument(
        "--size",
        choices=["large", "small"],
        default="large",
        help="seed_demo --size of the bench database (small: the demo, for a quick check)",
    )
    parser.add_argument("--label", help="name in the results file (default member-mix)")
    parser.add_argument("--max-minutes", type=float, default=30)
    args = parser.parse_args(argv)
    if args.quick:
        args.users, args.duration = min(args.users, 15), 20
    if not (0 < args.users <= 500 and 0 < args.duration <= 3600):
        parser.error("users: 1..500, duration: 1..3600 s")
    if args.redis_url and urlsplit(args.redis_url).hostname != HOST:
        parser.error(f"--redis-url must point at {HOST}")
    args.label = args.label or ("member-mix-quick" if args.quick else "member-mix")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    report: dict = {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        "settings": {
            "users": args.users,
            "spawn_rate": args.spawn_rate,
            "duration_s": args.duration,
            "gunicorn_workers": bench.WORKERS,
            "celery_concurrency": 2,
            "think_time_s": [0.5, 2.0],
            "mix": "locustfile.py: 12 anonymous : 7 members : 1 moderator",
        },
        "machine": bench.machine(),
        "loadavg_at_start": bench.loadavg(),
    }
    log(f"load average {report['loadavg_at_start']}")
    redis_server = None
    web = worker = None
    prefix = f"causerie-load-{uuid.uuid4().hex[:10]}"
    with tempfile.TemporaryDirectory(prefix="causerie-load-") as tmp:
        var_dir = Path(tmp)
        try:
            if not args.skip_setup:
                report["data"] = bench.setup_database(args.database_url, var_dir, args.size)
            else:
                migrate(args.database_url, var_dir)
            if args.redis_url:
                redis_url = args.redis_url
            else:
                redis_server = PrivateRedis(var_dir)
                redis_server.start()
                redis_url = redis_server.url
            env = server_environment(
                database_url=args.database_url, redis_url=redis_url, var_dir=var_dir, prefix=prefix
            )
            bench.collectstatic(env)
            plan_path = var_dir / "plan.json"
            plan = make_plan(env, plan_path, args.members)
            log(
                f"plan: {len(plan['topics'])} topics, {len(plan['posts'])} posts, "
                f"{len(plan['members'])} member sessions"
            )
            worker = CeleryProcess(
                "worker", env=env, log_dir=var_dir, name="load", extra=["--concurrency=2"]
            )
            web = bench.Gunicorn(
                settings_module="config.settings", env=env, log_dir=var_dir, name="load"
            )
            web.wait_ready("/")
            worker.wait_ready()
            status = bench.sanity_get(web.url("/"))[0]
            if status != 200:
                raise bench.BenchError(f"GET / answered {status}:\n{web.log_path.read_text()}")
            log(f"locust: {args.users} users for {args.duration} s on {web.url('/')}")
            tally_path = var_dir / "tally.json"
            csv_prefix = var_dir / "locust"
            load_before = bench.loadavg()
            process = start_locust(
                url=web.url(""),
                plan_path=plan_path,
                tally_path=tally_path,
                csv_prefix=csv_prefix,
                args=args,
                log_dir=var_dir,
            )
            wait_locust(process, duration=args.duration, log_dir=var_dir)
            report["loadavg_during"] = [load_before, bench.loadavg()]
            report["results"] = read_stats(csv_prefix)
            tally = json.loads(tally_path.read_text())
            report["tally"] = {
                "statuses": tally["statuses"],
                "refused": tally["refused"],
                "votes_accepted": len(tally["votes"]),
                "replies_accepted": len(tally["replies"]),
                "flags_accepted": len(tally["flags"]),
            }
            time.sleep(2)  # let the worker finish the last notifications
            report["check"] = check_tally(env, tally_path)
            report["memory"] = {
                "gunicorn_workers": web.worker_memory_mb(),
                "celery_worker": [memory_mb(pid) for pid in worker.pids()],
            }
            errors_logged = [
                line
                for line in web.log_path.read_text(errors="replace").splitlines()
                if " ERROR " in line or "Traceback" in line
            ]
            report["server_errors_logged"] = errors_logged[:20]
        except bench.BenchError as exc:
            log(f"FAILED: {exc}")
            return 1
        finally:
            if web is not None:
                web.stop()
            if worker is not None:
                worker.stop()
            if redis_server is not None:
                redis_server.stop()
            elif args.redis_url:
                bench.drop_cache_keys(args.redis_url, prefix)
    report["loadavg_at_end"] = bench.loadavg()
    report["elapsed_s"] = round(time.monotonic() - started, 1)
    out = results_path(args.label)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(table(report["results"]))
    check = report["check"]
    print(
        f"\nchecked against the database: replies {check['replies_found']}/"
        f"{check['replies_expected']}, votes {check['votes_found']}/{check['votes_expected']} "
        f"(refused by daily limits: {report['tally']['refused'] or 'none'})"
    )
    memory = report["memory"]
    print(
        "peak RSS MB: gunicorn workers "
        + ", ".join(str(w["peak_rss_mb"]) for w in memory["gunicorn_workers"])
        + "; celery "
        + ", ".join(str(w["peak_rss_mb"]) for w in memory["celery_worker"])
    )
    print(
        f"load average at start {report['loadavg_at_start']}, during "
        f"{report['loadavg_during']}, at end {report['loadavg_at_end']} "
        f"(1, 5, 15 min; {report['machine']['nproc']} CPUs)"
    )
    logged = report["server_errors_logged"]
    print(
        f"errors logged by the server: {len(logged)}" + (f", first: {logged[0]}" if logged else "")
    )
    print(f"results: {out.relative_to(ROOT)}")
    total = report["results"]["requests"].get("TOTAL", {})
    ok = check["ok"] and total.get("failures", 1) == 0
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
