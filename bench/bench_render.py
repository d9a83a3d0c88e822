"""How long the rendered pages take in-process: time per request, in templates, in SQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/causerie_bench \\
        .venv/bin/python bench/bench_render.py [--requests 30] [--profile home]

The pages are those of ``bench/probe.py`` (home = latest topics, the largest category, a
20-post topic page), each requested through Django's test client as an anonymous visitor
(anonymous page cache off: every request renders) and as a signed-in member, with the
production settings (``DJANGO_ENV=production``: DEBUG off, the cached template loader).
After 3 warm-up requests, ``--requests`` requests per page and viewer; for each request:

* ``total``: wall time of the request (median, p95), and ``cpu``: this process's CPU time
  for it — on a shared machine CPU time moves much less than wall time;
* ``render``: wall time inside the page template's ``render()`` (includes nested templates
  and any query a template still triggers);
* ``sql``: wall time inside database calls (client side: the round trips included).

``--compare DIR`` measures twice, in alternating blocks of requests so that both see the same
machine load: with the project's templates, and with ``DIR`` searched first (e.g. copies of
templates as they were before a change; the views are the same in both).

``--profile PAGE`` runs cProfile over the member's requests of that page instead and prints
the functions that cost most, plus how many ``reverse()`` and translation calls one request
makes. The bench database must exist (``make bench`` creates it). Writes: the member's daily
visit and read positions, as on the live site.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/causerie_bench")
os.environ.setdefault("DJANGO_ENV", "production")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(40))
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.pop("REDIS_URL", None)  # the local-memory cache: nothing shared is touched
# The production static storage needs its manifest: collected once into a folder of our own.
VAR_DIR = Path(
    os.environ.setdefault(
        "CAUSERIE_VAR_DIR", str(Path(tempfile.gettempdir()) / "causerie-bench-render-var")
    )
)

sys.path.insert(0, str(ROOT / "bench"))
import probe  # noqa: E402  (sets Django up)
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.template.backends.django import Template as BackendTemplate  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from accounts.models import User  # noqa: E402

PAGES = ("home", "category", "topic")


class Timers:
    """Wall time spent in template rendering and in SQL during one request."""

    def __init__(self) -> None:
        self.render = 0.0
        self.sql = 0.0
        self.queries = 0

    def reset(self) -> None:
        self.render = self.sql = 0.0
        self.queries = 0


TIMERS = Timers()
_original_render = BackendTemplate.render


def _timed_render(self, context=None, request=None):
    start = time.perf_counter()
    try:
        return _original_render(self, context, request)
    finally:
        TIMERS.render += time.perf_counter() - start


def _timed_sql(execute, sql, params, many, context):
    start = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        TIMERS.sql += time.perf_counter() - start
        TIMERS.queries += 1


def _clients() -> dict[str, Client]:
    anonymous = Client(HTTP_HOST="127.0.0.1")
    member = Client(HTTP_HOST="127.0.0.1")
    user = User.objects.filter(username=probe.MEMBER_USERNAME).first()
    if user is None:
        raise SystemExit(f"no member {probe.MEMBER_USERNAME!r}: is the bench database seeded?")
    member.force_login(user)
    return {"anonymous": anonymous, "member": member}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _templates_with(first_dir: str | None) -> list[dict]:
    templates = copy.deepcopy(settings.TEMPLATES)
    if first_dir:
        templates[0]["DIRS"] = [first_dir, *templates[0]["DIRS"]]
    return templates


def _sample(client: Client, path: str, samples: dict[str, list[float]]) -> None:
    TIMERS.reset()
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.get(path)
    samples["total"].append(time.perf_counter() - wall)
    samples["cpu"].append(time.process_time() - cpu)
    samples["render"].append(TIMERS.render)
    samples["sql"].append(TIMERS.sql)
    assert response.status_code == 200, path


def measure(paths: dict[str, str], requests: int, compare: str | None = None) -> list[dict]:
    """``requests`` samples per page, viewer and template set, in blocks of 5 alternating
    between the template sets (after 3 warm-up requests per block)."""
    variants = {"current": None, **({"compared": compare} if compare else {})}
    rows = []
    for viewer, client in _clients().items():
        for name, path in paths.items():
            samples = {v: {k: [] for k in ("total", "cpu", "render", "sql")} for v in variants}
            while len(samples["current"]["total"]) < requests:
                for variant, first_dir in variants.items():
                    with override_settings(TEMPLATES=_templates_with(first_dir)):
                        for _ in range(3):
                            client.get(path)
                        for _ in range(min(5, requests - len(samples[variant]["total"]))):
                            _sample(client, path, samples[variant])
            for variant in variants:
                taken = samples[variant]
                rows.append(
                    {
                        "page": name,
                        "viewer": viewer,
                        "templates": variant,
                        "queries": TIMERS.queries,
                        "total_ms": 1000 * statistics.median(taken["total"]),
                        "total_p95_ms": 1000 * _percentile(taken["total"], 0.95),
                        "cpu_ms": 1000 * statistics.median(taken["cpu"]),
                        "render_ms": 1000 * statistics.median(taken["render"]),
                        "sql_ms": 1000 * statistics.median(taken["sql"]),
                    }
                )
    return rows


def profile(path: str, requests: int) -> None:
    client = _clients()["member"]
    for _ in range(3):
        client.get(path)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path)
    profiler.disable()
    stats = pstats.Stats(profiler)
    calls = {}
    for (filename, _line, function), (_cc, ncalls, *_rest) in stats.stats.items():
        if function == "reverse" and filename.endswith(os.path.join("urls", "base.py")):
            calls["reverse()"] = ncalls
        if function in ("gettext", "ngettext", "pgettext") and "translation" in filename:
            calls[f"{function}()"] = calls.get(f"{function}()", 0) + ncalls
    print("per request: " + ", ".join(f"{k} {v / requests:.0f}" for k, v in sorted(calls.items())))
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--profile", choices=PAGES, help="cProfile this page (member)")
    parser.add_argument("--compare", metavar="DIR", help="also measure with DIR's templates first")
    args = parser.parse_args()
    if not any(VAR_DIR.glob("**/staticfiles.json")):
        call_command("collectstatic", interactive=False, verbosity=0)
    targets = probe.pages()
    paths = {name: targets[name]["path"] for name in PAGES}
    BackendTemplate.render = _timed_render
    with (
        override_settings(COMMUNITY_ANON_CACHE=False, COMMUNITY_VIEW_COUNTS_BUFFERED=True),
        connection.execute_wrapper(_timed_sql),
    ):
        if args.profile:
            profile(paths[args.profile], args.requests)
            return
        load_before = os.getloadavg()[0]
        rows = measure(paths, args.requests, compare=args.compare)
    print(
        f"{args.requests} requests per row, load average {load_before:.1f} → "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(
        "| page | viewer | templates | queries | total ms (median / p95) | CPU ms | render ms "
        "| SQL ms |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['page']} | {row['viewer']} | {row['templates']} | {row['queries']} | "
            f"{row['total_ms']:.1f} / {row['total_p95_ms']:.1f} | {row['cpu_ms']:.1f} | "
            f"{row['render_ms']:.1f} | {row['sql_ms']:.1f} |"
        )


if __name__ == "__main__":
    main()
