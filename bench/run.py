"""Causerie's HTTP benchmark: `make bench` (see bench/README.md for the method and the figures).

    .venv/bin/python bench/run.py [--quick] [--anon-cache on|off] [--scenarios …] [--peers]

Steps, each bounded in time:

1. The bench database (``causerie_bench`` on 127.0.0.1 unless ``--database-url``): created when
   missing, migrated, loaded with ``seed_demo --size large`` (idempotent), checked and repaired
   by ``bench/dataset.py``, then ``vacuumdb --analyze``.
2. ``collectstatic`` into a temporary ``CAUSERIE_VAR_DIR`` (the production static storage needs
   its manifest).
3. ``wrk`` (installed with apt-get when missing).
4. ``bench/probe.py``: picks the pages (largest category, a 20-post topic) and counts the
   queries each costs (Django test client + CaptureQueriesContext).
5. For each scenario a fresh gunicorn (2 sync workers, 127.0.0.1, a free port, production
   settings over plain HTTP, CONN_MAX_AGE=60, Redis cache on db 2 with a key prefix of this
   run's own), one sanity GET that must answer 200, a warm-up, then ``--rounds`` wrk runs
   (1 thread, 8 connections); the median of the rounds is reported, with the peak RSS of each
   worker read from /proc. The ``bare`` scenario runs ``bench.bare_settings``: the same stack
   with one view answering "ok" — the ceiling every page is compared to.

6. With ``--peers``: the same for Spirit and django-machina (bench/peers.py: their own venvs
   under var/peers/, their own databases with the same data shape), then each page's req/s
   as a multiple of the best peer's and the p99s side by side (shared/PERFORMANCE.md's goals).

Prints one table and writes ``bench/results/<date>-<scenario set>.json``. Load only ever targets
127.0.0.1; every wrk run has a fixed duration and a subprocess timeout, and the whole run stops
after ``--max-minutes``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
GUNICORN = str(VENV_BIN / "gunicorn")
LUA_REPORT = BENCH / "wrk_report.lua"

HOST = "127.0.0.1"  # the only host this script ever sends load to
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/causerie_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/2"
SCENARIOS = ("bare", "home", "category", "topic", "search")
WORKERS = 2
CACHE_HEADER = "X-Anonymous-Cache"  # community.caching.STATUS_HEADER


class BenchError(RuntimeError):
    pass


# --- Small helpers --------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(cmd: list[str], *, env: dict | None = None, timeout: float, capture: bool = False):
    """Run a command to completion (bounded by `timeout`); raise BenchError when it fails."""
    try:
        result = subprocess.run(
            cmd,
            cwd=ROOT,
            env=env,
            timeout=timeout,
            check=False,
            text=True,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"timed out after {timeout:.0f} s: {' '.join(cmd)}") from exc
    if result.returncode != 0:
        detail = (result.stderr or "")[-2000:] if capture else ""
        raise BenchError(f"failed ({result.returncode}): {' '.join(cmd)}\n{detail}")
    return result


def last_json_line(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise BenchError(f"no JSON in output:\n{text[-2000:]}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def loadavg() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def machine() -> dict:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    versions = {"python": platform.python_version()}
    for name, cmd in {
        "wrk": ["wrk", "-v"],
        "gunicorn": [GUNICORN, "--version"],
        "postgresql": ["psql", "-h", HOST, "-U", "postgres", "-tAc", "SHOW server_version"],
        "django": [PYTHON, "-c", "import django; print(django.get_version())"],
    }.items():
        with contextlib.suppress(Exception):
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=False)
            text = (out.stdout or out.stderr).strip().splitlines()
            versions[name] = text[0] if text else ""
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "versions": versions,
    }


# --- 1. Database ----------------------------------------------------------------------------------


def setup_database(database_url: str, var_dir: Path, size: str = "large") -> dict:
    """Create, migrate and seed the bench database with ``seed_demo --size <size>``, check its
    shape for that size (bench/dataset.py) and analyse it. ``large`` is the benchmark data set;
    ``small`` (the hand-written demo, seeded in under a minute) serves CI's short soak."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if parts.hostname not in ("127.0.0.1", "localhost") or "bench" not in name:
        raise BenchError(f"refusing {database_url}: a local database named *bench* is expected")
    psql = ["-h", parts.hostname, "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
    exists = run(
        [
            "psql",
            *psql,
            "-d",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname='{name}'",
        ],
        timeout=30,
        capture=True,
    ).stdout.strip()
    if exists != "1":
        log(f"creating database {name}")
        run(["createdb", *psql, name], timeout=60)
    # Seeding runs tasks eagerly (no REDIS_URL): nothing is queued for workers that do not exist.
    env = {**os.environ, "DATABASE_URL": database_url, "CAUSERIE_VAR_DIR": str(var_dir)}
    for key in ("REDIS_URL", "DJANGO_ENV", "DJANGO_SETTINGS_MODULE"):
        env.pop(key, None)
    log("migrate")
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env=env, timeout=900)
    log(
        f"seed_demo --size {size} (idempotent"
        + ("; the first load takes a few minutes)" if size == "large" else ")")
    )
    seeded = run(
        [PYTHON, "manage.py", "seed_demo", "--size", size], env=env, timeout=3600, capture=True
    )
    # What seed_demo says when it skips the step that `size` adds (demo/seed.py).
    skipped = "large data set already present" if size == "large" else "demo already present"
    loaded = skipped not in seeded.stdout
    shape = last_json_line(
        run([PYTHON, "bench/dataset.py", "--size", size], env=env, timeout=600, capture=True).stdout
    )
    if shape.get("slugs_repaired"):
        log(
            f"WARNING: {shape['slugs_repaired']} topics had no slug (bulk-created by the seed "
            "without Topic.save()); bench/dataset.py filled them"
        )
    if not shape["ok"]:
        raise BenchError(f"the bench data set is too small for --size {size}: {shape}")
    log("vacuumdb --analyze")
    run(["vacuumdb", *psql, "--analyze", "--quiet", name], timeout=900)
    shape["loaded_this_run"] = loaded
    return shape


# --- 2./3. Static files, wrk ----------------------------------------------------------------------


def collectstatic(server_env: dict) -> None:
    log("collectstatic into the run's temporary directory")
    run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"], env=server_env, timeout=300)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise BenchError("wrk is missing: install it with `sudo apt-get install -y wrk`")
    log("installing wrk with apt-get")
    try:
        run(["apt-get", "install", "-y", "-q", "wrk"], timeout=600, capture=True)
    except BenchError:
        run(["apt-get", "update", "-q"], timeout=600, capture=True)
        run(["apt-get", "install", "-y", "-q", "wrk"], timeout=600, capture=True)
    found = shutil.which("wrk")
    if not found:
        raise BenchError("apt-get did not install wrk")
    return found


# --- 4./5. Servers and load -----------------------------------------------------------------------


class Gunicorn:
    """A gunicorn master in its own process group, stopped by its pid when done."""

    def __init__(self, *, settings_module: str, env: dict, log_dir: Path, name: str) -> None:
        self.port = free_port()
        self.log_path = log_dir / f"gunicorn-{name.replace(': ', '-')}.log"
        self._log = self.log_path.open("w")
        executable, application, workdir = self.command(env)
        cmd = [
            executable,
            application,
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            f"{HOST}:{self.port}",
            "--chdir",
            str(workdir),
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ]
        self.process = subprocess.Popen(
            cmd,
            cwd=workdir,
            env={**env, "DJANGO_SETTINGS_MODULE": settings_module},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def command(self, env: dict) -> tuple[str, str, Path]:
        """(gunicorn executable, WSGI application, working directory)."""
        return GUNICORN, "config.wsgi:application", ROOT

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with (
                contextlib.suppress(OSError),
                socket.create_connection((HOST, self.port), timeout=1),
            ):
                if len(self.workers()) >= WORKERS:
                    return
            time.sleep(0.3)
        raise BenchError(f"gunicorn did not start:\n{self.log_path.read_text()[-3000:]}")

    def workers(self) -> list[int]:
        pid = self.process.pid
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def worker_memory_mb(self) -> list[dict]:
        """Per worker: current and peak resident memory (VmRSS, VmHWM), in MB."""
        figures = []
        for pid in self.workers():
            values = {}
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith(("VmRSS:", "VmHWM:")):
                        key, amount = line.split(":", 1)
                        values[key] = round(int(amount.split()[0]) / 1024, 1)
            figures.append(
                {"pid": pid, "rss_mb": values.get("VmRSS"), "peak_rss_mb": values.get("VmHWM")}
            )
        return figures

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)  # the group this script started
                self.process.wait(timeout=10)
        self._log.close()


def sanity_get(url: str) -> tuple[int, int, str]:
    """(status, size, how the anonymous page cache served it: hit, miss or "-")."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # 127.0.0.1 only
            body = response.read()
            return response.status, len(body), response.headers.get(CACHE_HEADER, "-")
    except urllib.error.HTTPError as exc:
        return exc.code, 0, "-"
    except (urllib.error.URLError, OSError) as exc:  # reset, refused: the server failed
        raise BenchError(f"GET {url} failed: {exc}") from exc


def wrk(url: str, *, seconds: int, connections: int, threads: int) -> dict:
    if urlsplit(url).hostname != HOST:
        raise BenchError(f"refusing to load anything but {HOST}: {url}")
    cmd = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA_REPORT),
        url,
    ]
    output = run(cmd, timeout=seconds + 60, capture=True).stdout
    match = re.search(r"^BENCH_JSON (\{.*\})$", output, re.MULTILINE)
    if not match:
        raise BenchError(f"no report from wrk:\n{output[-2000:]}")
    data = json.loads(match.group(1))
    seconds_run = data["duration_us"] / 1e6
    socket_errors = sum(
        data[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")
    )
    return {
        "requests": data["requests"],
        "seconds": round(seconds_run, 2),
        "rps": round(data["requests"] / seconds_run, 1) if seconds_run else 0.0,
        "p50_ms": round(data["p50_us"] / 1000, 1),
        "p90_ms": round(data["p90_us"] / 1000, 1),
        "p95_ms": round(data["p95_us"] / 1000, 1),
        "p99_ms": round(data["p99_us"] / 1000, 1),
        "max_ms": round(data["max_us"] / 1000, 1),
        "status_errors": data["status_errors"],
        "socket_errors": socket_errors,
    }


def median_of(rounds: list[dict]) -> dict:
    keys = ("rps", "p50_ms", "p90_ms", "p95_ms", "p99_ms")
    summary = {key: round(statistics.median(r[key] for r in rounds), 1) for key in keys}
    summary["max_ms"] = max(r["max_ms"] for r in rounds)
    summary["requests"] = sum(r["requests"] for r in rounds)
    summary["errors"] = sum(r["status_errors"] for r in rounds)
    summary["socket_errors"] = sum(r["socket_errors"] for r in rounds)
    return summary


def measure(
    name: str,
    path: str,
    *,
    settings_module: str,
    env: dict,
    args,
    log_dir: Path,
    deadline: float,
    server_class: type[Gunicorn] = Gunicorn,
) -> dict:
    if time.monotonic() > deadline:
        raise BenchError(f"--max-minutes reached before scenario {name}")
    server = server_class(settings_module=settings_module, env=env, log_dir=log_dir, name=name)
    try:
        server.wait_ready(path)
        url = server.url(path)
        status, size, _ = sanity_get(url)
        if status != 200:
            raise BenchError(
                f"{name}: GET {path} answered {status}, not 200\n"
                f"{server.log_path.read_text()[-3000:]}"
            )
        load_before = loadavg()
        log(f"{name}: {path} ({size} bytes) warm-up {args.warmup} s")
        wrk(url, seconds=args.warmup, connections=args.connections, threads=args.threads)
        served = sanity_get(url)[2]  # after the warm-up: "hit" when the cache serves the page
        rounds = []
        for number in range(1, args.rounds + 1):
            if time.monotonic() > deadline:
                raise BenchError(f"--max-minutes reached during scenario {name}")
            figures = wrk(
                url, seconds=args.duration, connections=args.connections, threads=args.threads
            )
            rounds.append(figures)
            log(
                f"{name}: round {number}/{args.rounds}: {figures['rps']} req/s, "
                f"p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, "
                f"errors {figures['status_errors']}"
            )
        memory = server.worker_memory_mb()
        return {
            "path": path,
            "bytes": size,
            "anon_cache": served,
            **median_of(rounds),
            "rounds": rounds,
            "workers": memory,
            "peak_rss_mb": max((w["peak_rss_mb"] or 0) for w in memory) if memory else None,
            "loadavg_before": load_before,
            "loadavg_after": loadavg(),
        }
    finally:
        server.stop()


# --- Report ---------------------------------------------------------------------------------------


def table(results: dict, queries: dict) -> str:
    width = max([10, *(len(name) for name in results)])
    header = (
        f"{'scenario':<{width}} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7} {'x bare':>7} {'queries':>9} {'cache':>6} {'RSS MB':>7}"
    )
    lines = [header, "-" * len(header)]
    for name, figures in results.items():
        # A peer's rows ("spirit: home") compare with the peer's own bare view.
        owner, _, scenario = name.rpartition(": ")
        bare = results.get(f"{owner}: bare" if owner else "bare", {}).get("rps")
        ratio = f"{figures['rps'] / bare:.0%}" if bare and scenario != "bare" else "-"
        q = queries.get(name)
        count = f"{q['anon_queries']}/{q['anon_queries_repeat']}" if q else "-"
        errors = figures["errors"] + figures["socket_errors"]
        lines.append(
            f"{name:<{width}} {figures['rps']:>8.1f} {figures['p50_ms']:>8.1f} "
            f"{figures['p95_ms']:>8.1f} {figures['p99_ms']:>8.1f} {errors:>7} {ratio:>7} "
            f"{count:>9} {figures.get('anon_cache', '-'):>6} {figures['peak_rss_mb'] or 0:>7.1f}"
        )
    lines.append(
        "queries: anonymous GET with a cold page cache / the same GET again "
        "(0 = served from the anonymous cache); cache: how a GET after the warm-up was served; "
        "RSS: peak per worker (VmHWM)"
    )
    return "\n".join(lines)


def peer_comparison(results: dict, peer_names: list[str]) -> tuple[dict, str]:
    """PERFORMANCE.md's goals per page: our req/s >= 2x the best peer's, our p99 no higher."""
    summary, lines = {}, []
    for page in ("home", "category", "topic"):
        ours = results.get(page)
        theirs = {p: results[f"{p}: {page}"] for p in peer_names if f"{p}: {page}" in results}
        if not ours or not theirs:
            continue
        best = max(theirs, key=lambda p: theirs[p]["rps"])
        multiple = ours["rps"] / theirs[best]["rps"] if theirs[best]["rps"] else None
        lowest_p99 = min(figures["p99_ms"] for figures in theirs.values())
        p99_ok = ours["p99_ms"] <= theirs[best]["p99_ms"]
        summary[page] = {
            "best_peer": best,
            "rps_multiple": round(multiple, 2) if multiple else None,
            "rps_goal_met": bool(multiple and multiple >= 2),
            "p99_ms": ours["p99_ms"],
            "best_peer_p99_ms": theirs[best]["p99_ms"],
            "lowest_peer_p99_ms": lowest_p99,
            "p99_goal_met": p99_ok,
        }
        verdict = {True: "met", False: "NOT met"}
        lines.append(
            f"{page:<9} ours {ours['rps']:.1f} req/s = {multiple or 0:.2f}x {best} "
            f"({theirs[best]['rps']:.1f}) [>= 2x: {verdict[summary[page]['rps_goal_met']]}]; "
            f"p99 {ours['p99_ms']:.1f} ms vs {best} {theirs[best]['p99_ms']:.1f} ms "
            f"[no higher: {verdict[p99_ok]}]"
        )
    return summary, "\n".join(lines)


def results_path(label: str) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stem = f"{datetime.now():%Y-%m-%d}-{label}"
    path = RESULTS / f"{stem}.json"
    number = 2
    while path.exists():
        path = RESULTS / f"{stem}-{number}.json"
        number += 1
    return path


def drop_cache_keys(redis_url: str, prefix: str) -> None:
    try:
        import redis
    except ImportError:
        return
    with contextlib.suppress(Exception):
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=1)
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)


def parse_args(argv: list[str] | None = None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 5 s (a smoke run)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=20, help="seconds per round")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument(
        "--anon-cache",
        choices=["on", "off"],
        default="on",
        help="the anonymous page cache (COMMUNITY_ANON_CACHE); off measures the pages rendered",
    )
    parser.add_argument("--label", help="scenario-set name in the results file name")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument(
        "--skip-setup", action="store_true", help="skip migrate/seed/vacuum (database ready)"
    )
    parser.add_argument(
        "--peers",
        action="store_true",
        help="after our scenarios, measure Spirit and django-machina (bare, home, category, topic)"
        " in their own venvs and databases (bench/peers.py)",
    )
    parser.add_argument(
        "--skip-peer-setup",
        action="store_true",
        help="with --peers: the peers' venvs and databases are ready (no pip, migrate, seed)",
    )
    parser.add_argument("--max-minutes", type=float, default=45, help="stop the run after this")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.duration = 1, 5
    for value in (args.rounds, args.duration, args.connections, args.threads):
        if not 0 < value <= 1000:
            parser.error("rounds, duration, connections and threads must be between 1 and 1000")
    if args.duration > 300:
        parser.error("--duration is at most 300 s")
    if urlsplit(args.redis_url).hostname != HOST:
        parser.error(f"--redis-url must point at {HOST}")
    args.scenario_list = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(args.scenario_list) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    args.label = args.label or f"anonymous-cache-{args.anon_cache}" + (
        "-peers" if args.peers else ""
    ) + ("-quick" if args.quick else "")
    return args


PEER_SCENARIOS = ("bare", "home", "category", "topic")


def prepare_peers(args, secret_key: str, report: dict) -> list[tuple]:
    """Set up each peer (venv, database) unless --skip-peer-setup, then probe its pages."""
    # bench/peers.py imports this module's helpers as `run`: one module, one BenchError.
    sys.modules.setdefault("run", sys.modules[__name__])
    import peers

    report["peers"] = {}
    prepared = []
    for peer in peers.PEERS.values():
        setup_started = time.monotonic()
        if not args.skip_peer_setup:
            peers.ensure_venv(peer)
            data = peers.ensure_database(peer, args.database_url, secret_key)
        else:
            data = {}
        log(f"{peer.name}: probe (pages and query counts)")
        found = peers.probe(peer, args.database_url, secret_key)
        report["peers"][peer.name] = {
            "versions": found["versions"],
            "database": peer.database,
            "data": {**data, **found["data"]},
            "pages": found["pages"],
            "setup_s": round(time.monotonic() - setup_started, 1),
        }
        for name, page in found["pages"].items():
            if page["status"] != 200:
                raise BenchError(f"{peer.name}: {name} {page['path']} answered {page['status']}")
        env = peers.server_env(peer, args.database_url, secret_key)
        prepared.append((peer, env, found["pages"]))
    return prepared


def peer_server_class() -> type[Gunicorn]:
    import peers

    return peers.PeerGunicorn


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    deadline = started + args.max_minutes * 60
    run_id = uuid.uuid4().hex[:10]
    prefix = f"causerie-bench-{run_id}"
    report: dict = {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        "settings": {
            "rounds": args.rounds,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "threads": args.threads,
            "gunicorn_workers": WORKERS,
            "anon_cache": args.anon_cache,
        },
        "machine": machine(),
        "loadavg_at_start": loadavg(),
    }
    log(
        f"machine: {report['machine']['nproc']} CPUs, {report['machine']['cpu_model']}, "
        f"{report['machine']['ram_gb']} GB; load average {report['loadavg_at_start']}"
    )
    with tempfile.TemporaryDirectory(prefix="causerie-bench-") as tmp:
        var_dir = Path(tmp)
        server_env = {
            **os.environ,
            "DJANGO_ENV": "production",
            "SECRET_KEY": f"bench-only-{uuid.uuid4().hex}",
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": args.database_url,
            "DB_CONN_MAX_AGE": "60",
            "REDIS_URL": args.redis_url,
            "CACHE_KEY_PREFIX": prefix,
            "CAUSERIE_VAR_DIR": str(var_dir),
            "COMMUNITY_ANON_CACHE": "1" if args.anon_cache == "on" else "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        server_env.pop("DJANGO_SETTINGS_MODULE", None)
        try:
            if not args.skip_setup:
                report["data"] = setup_database(args.database_url, var_dir)
            collectstatic(server_env)
            ensure_wrk()
            log("probe: pages and query counts")
            probe = last_json_line(
                run([PYTHON, "bench/probe.py"], env=server_env, timeout=600, capture=True).stdout
            )
            report["data"] = {
                **report.get("data", {}),
                **{k: v for k, v in probe.items() if k != "pages"},
            }
            pages = probe["pages"]
            report["queries"] = pages
            peer_runs = prepare_peers(args, server_env["SECRET_KEY"], report) if args.peers else []
            results: dict = {}
            for name in args.scenario_list:
                if name == "bare":
                    path, module = "/", "bench.bare_settings"
                else:
                    path, module = pages[name]["path"], "config.settings"
                results[name] = measure(
                    name,
                    path,
                    settings_module=module,
                    env=server_env,
                    args=args,
                    log_dir=var_dir,
                    deadline=deadline,
                )
            for peer, env, peer_pages in peer_runs:
                for name in PEER_SCENARIOS:
                    path = "/" if name == "bare" else peer_pages[name]["path"]
                    module = peer.bare_settings if name == "bare" else peer.settings
                    results[f"{peer.name}: {name}"] = measure(
                        f"{peer.name}: {name}",
                        path,
                        settings_module=module,
                        env=env,
                        args=args,
                        log_dir=var_dir,
                        deadline=deadline,
                        server_class=peer_server_class(),
                    )
            report["results"] = results
        except BenchError as exc:
            log(f"FAILED: {exc}")
            return 1
        finally:
            drop_cache_keys(args.redis_url, prefix)
    report["loadavg_at_end"] = loadavg()
    report["elapsed_s"] = round(time.monotonic() - started, 1)
    out = results_path(args.label)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print()
    peer_queries = {
        f"{name}: {page}": figures
        for name, about in report.get("peers", {}).items()
        for page, figures in about["pages"].items()
    }
    print(table(report["results"], {**report["queries"], **peer_queries}))
    if args.peers:
        report["peer_goals"], text = peer_comparison(report["results"], list(report["peers"]))
        out.write_text(json.dumps(report, indent=2) + "\n")
        print("\nAgainst the best peer (PERFORMANCE.md: >= 2x its req/s, a p99 no higher):")
        print(text or "(run home, category and topic to compare)")
    print(
        f"\nload average at start {report['loadavg_at_start']}, at end {report['loadavg_at_end']}"
        f" (1, 5, 15 min; {report['machine']['nproc']} CPUs)"
    )
    print(f"results: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
