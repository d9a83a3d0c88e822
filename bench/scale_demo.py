"""The scaled deployment on one machine: `make scale-demo` (docs/deploy.md, "Scaling out").

    .venv/bin/python bench/scale_demo.py [--check] [--skip-setup] [--database-url …]

Starts, with honcho and the project's own Procfile (``honcho start -c web=2,worker=2,beat=1``):

    web.1, web.2        two gunicorn instances on two ports (2 sync workers each)
    worker.1, worker.2  two Celery workers (concurrency 2 each), consuming one Redis broker
    beat.1              the one beat

sharing PostgreSQL (the bench database with the large demo data, ``causerie_bench``; built
on first use like `make bench` builds it) and a Redis of the demo's own (``redis-server`` on a
free port; ``--redis-url`` for an existing one). Every process gets the same ``SECRET_KEY``.

Then it proves the layout and prints what it saw:

1. a member signs in on web 1 (the real allauth form) and the same session cookie opens their
   own page on web 2: sessions live in the database, so any web instance serves any member;
2. 20 ``causerie.ping`` tasks are sent; ``celery inspect stats`` shows both workers ran some.

Without ``--check`` the site stays up (the URLs are printed; sign in as ``alice`` /
``causerie-demo``) until Ctrl-C, which stops every process. With ``--check`` it stops after
the proof and exits 1 when a proof failed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadtest  # bench/loadtest.py
import run as bench  # bench/run.py

ROOT = bench.ROOT
HOST = bench.HOST
HONCHO = str(bench.VENV_BIN / "honcho")
DEMO_USER, DEMO_PASSWORD = "alice", "causerie-demo"  # demo/seed.py
log = bench.log


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def fetch(url: str, *, data: dict | None = None, cookies: dict | None = None, headers=None):
    """(status, headers, body) of one request to 127.0.0.1, redirects not followed."""
    if urllib.parse.urlsplit(url).hostname != HOST:
        raise bench.BenchError(f"refusing {url}")
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(data).encode() if data is not None else None
    )
    if cookies:
        request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode(errors="replace")


def cookies_from(headers) -> dict:
    jar = SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    return {key: morsel.value for key, morsel in jar.items()}


def prove_shared_session(web1: str, web2: str) -> dict:
    status, headers, body = fetch(f"{web1}/accounts/login/")
    cookies = cookies_from(headers)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or not token:
        return {"ok": False, "why": f"login page answered {status}"}
    status, headers, _ = fetch(
        f"{web1}/accounts/login/",
        data={
            "login": DEMO_USER,
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": token.group(1),
        },
        cookies=cookies,
        headers={"Referer": f"{web1}/accounts/login/"},
    )
    cookies.update(cookies_from(headers))
    if status != 302 or "sessionid" not in cookies:
        return {"ok": False, "why": f"login on web 1 answered {status}, no session"}
    page = f"/u/{DEMO_USER}/"
    status2, _, body2 = fetch(f"{web2}/notifications/", cookies=cookies)
    signed_in = status2 == 200 and f'href="{page}"' in body2
    return {
        "ok": signed_in,
        "login_on_web1": status,
        "notifications_on_web2": status2,
        "web2_shows_the_member_signed_in": signed_in,
    }


def prove_both_workers(env: dict, count: int = 20) -> dict:
    code = (
        "import json, time\n"
        "from config.celery import app, ping\n"
        "app.control.purge()\n"
        f"for _ in range({count}): ping.apply_async(ignore_result=True)\n"
        "deadline = time.time() + 60\n"
        "stats = {}\n"
        "while time.time() < deadline:\n"
        "    stats = app.control.inspect(timeout=2).stats() or {}\n"
        "    done = {n: s.get('total', {}).get('causerie.ping', 0) for n, s in stats.items()}\n"
        f"    if sum(done.values()) >= {count}: break\n"
        "    time.sleep(1)\n"
        "print(json.dumps(done))\n"
    )
    output = bench.run(
        [bench.PYTHON, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        timeout=120,
        capture=True,
    ).stdout
    done = bench.last_json_line(output)
    return {
        "ok": len([n for n, c in done.items() if c > 0]) >= 2,
        "pings_per_worker": done,
    }


def wait_http(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if fetch(url)[0] == 200:
                return
        time.sleep(0.5)
    raise bench.BenchError(f"{url} did not answer 200 within {timeout:.0f} s")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="prove, stop, exit (no demo)")
    parser.add_argument("--database-url", default=bench.DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", help="an existing Redis (default: one of the demo's own)")
    parser.add_argument("--skip-setup", action="store_true", help="the database is ready")
    parser.add_argument("--port", type=int, default=8101, help="web 1's port; web 2 is +1")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    redis_server = None
    honcho = None
    ok = True
    with tempfile.TemporaryDirectory(prefix="causerie-scale-") as tmp:
        var_dir = Path(tmp)
        try:
            if not args.skip_setup:
                bench.setup_database(args.database_url, var_dir)
            if args.redis_url:
                redis_url = args.redis_url
            else:
                redis_server = loadtest.PrivateRedis(var_dir, persistent=True)
                redis_server.start()
                redis_url = redis_server.url
            env = loadtest.server_environment(
                database_url=args.database_url,
                redis_url=redis_url,
                var_dir=var_dir,
                prefix="causerie-scale",
            )
            # A demo a person opens in a browser over plain HTTP: no Secure cookies, no HSTS.
            # Everything else is the scaled shape (PostgreSQL, Redis, workers, DEBUG off).
            env.pop("DJANGO_ENV")
            env.pop("SECURE_SSL_REDIRECT")
            env.update(
                DJANGO_DEBUG="false",
                ALLOWED_HOSTS=f"{HOST},localhost",
                LOG_LEVEL="INFO",
                WEB_CONCURRENCY="2",
                CELERY_CONCURRENCY="2",
                HOST=HOST,
                PATH=f"{bench.VENV_BIN}:{os.environ.get('PATH', '')}",
            )
            bench.collectstatic(env)
            empty_env_file = var_dir / "empty.env"  # the project's .env must not override
            empty_env_file.write_text("")
            honcho_log = var_dir / "honcho.log"
            honcho = subprocess.Popen(
                [
                    HONCHO,
                    "start",
                    "-f",
                    str(ROOT / "Procfile"),
                    "-d",
                    str(ROOT),
                    "-e",
                    str(empty_env_file),
                    "-p",
                    str(args.port),
                    "-c",
                    "web=2,worker=2,beat=1",
                    "--no-colour",
                ],
                cwd=ROOT,
                env=env,
                stdout=honcho_log.open("w") if args.check else None,
                stderr=subprocess.STDOUT if args.check else None,
                start_new_session=True,
            )
            web1 = f"http://{HOST}:{args.port}"
            web2 = f"http://{HOST}:{args.port + 1}"
            wait_http(f"{web1}/healthz")
            wait_http(f"{web2}/healthz")
            log(f"web 1: {web1}/   web 2: {web2}/   (sign in as {DEMO_USER} / {DEMO_PASSWORD})")
            session = prove_shared_session(web1, web2)
            log(f"session opened on web 1, used on web 2: {session}")
            workers = prove_both_workers(env)
            log(f"tasks consumed by both workers: {workers}")
            ok = session["ok"] and workers["ok"]
            if args.check:
                log("scale-demo check: " + ("OK" if ok else "FAILED"))
            else:
                log("running; Ctrl-C stops every process")
                with contextlib.suppress(KeyboardInterrupt):
                    honcho.wait()
        except bench.BenchError as exc:
            log(f"FAILED: {exc}")
            ok = False
        finally:
            if honcho is not None and honcho.poll() is None:
                honcho.send_signal(signal.SIGTERM)  # honcho stops its processes
                try:
                    honcho.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(honcho.pid, signal.SIGKILL)
            if redis_server is not None:
                redis_server.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
