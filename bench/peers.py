"""The peer forum engines of `bench/run.py --peers`: Spirit and django-machina, side by side.

Each peer lives in its own virtualenv (``var/peers/<name>/venv``, pinned versions from the
package index) with its own PostgreSQL database (``causerie_bench_<name>``) loaded with
PERFORMANCE.md's data shape by ``bench/peers/seed.py``; its settings, URLs and the bare "ok"
view are in ``bench/peers/``. The functions here are called by ``bench/run.py``, whose helpers
(subprocess runner, logging, gunicorn wrapper) they reuse; every step is bounded in time and
idempotent, so a second run only checks what is there (a few seconds per peer).
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from run import (
    BENCH,
    ROOT,
    BenchError,
    Gunicorn,
    last_json_line,
    log,
    run,
)

PEER_CODE = BENCH / "peers"  # settings, URLs, seed and probe, run inside the peers' venvs
PEER_VAR = ROOT / "var" / "peers"  # git-ignored: venvs, search index, file caches
# The same server and driver as ours (requirements.txt), so only the forum engines differ.
COMMON_REQUIREMENTS = ("gunicorn==27.0.1", "psycopg[binary]==3.3.9")


@dataclass(frozen=True)
class Peer:
    name: str
    package: str
    requirements: tuple[str, ...]  # the engine and the Django it supports

    @property
    def home(self) -> Path:
        return PEER_VAR / self.name

    @property
    def bin(self) -> Path:
        return self.home / "venv" / "bin"

    @property
    def database(self) -> str:
        return f"causerie_bench_{self.name}"

    @property
    def settings(self) -> str:
        return f"{self.name}_settings"

    @property
    def bare_settings(self) -> str:
        return f"{self.name}_bare_settings"


PEERS = {
    # Spirit 0.14 supports Django 4.2 and 5.2 (its README): 5.2, as ours.
    "spirit": Peer("spirit", "django-spirit", ("django-spirit==0.14.3", "Django==5.2.19")),
    # django-machina 1.3.1 supports Django 3.2 to 4.2 (its release notes): the newest, 4.2.
    "machina": Peer("machina", "django-machina", ("django-machina==1.3.1", "Django==4.2.30")),
}


def database_url(peer: Peer, our_database_url: str) -> str:
    """Our bench database's server and user, the peer's own database name."""
    parts = urlsplit(our_database_url)
    return urlunsplit(parts._replace(path=f"/{peer.database}"))


def peer_env(peer: Peer, our_database_url: str, secret_key: str) -> dict:
    """The environment of everything that runs in the peer's venv (seed, probe, gunicorn)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTHON", "VIRTUAL_ENV", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        {
            "PEER_DATABASE_URL": database_url(peer, our_database_url),
            "PEER_CONN_MAX_AGE": "60",
            "PEER_VAR_DIR": str(peer.home),
            "SECRET_KEY": secret_key,
            "DJANGO_SETTINGS_MODULE": peer.settings,
            "PYTHONPATH": str(PEER_CODE),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONSAFEPATH": "1",  # `python -m django` from the repository: not our packages
            "PATH": f"{peer.bin}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    return env


# --- Setup ----------------------------------------------------------------------------------------


def ensure_venv(peer: Peer) -> None:
    """Create var/peers/<name>/venv and install the pinned packages (skipped when installed)."""
    wanted = "\n".join([*peer.requirements, *COMMON_REQUIREMENTS]) + "\n"
    marker = peer.home / "venv" / "bench-requirements.txt"
    if marker.exists() and marker.read_text() == wanted and (peer.bin / "gunicorn").exists():
        return
    python = shutil.which("python3.11") or sys.executable
    if not (peer.bin / "python").exists():
        log(f"{peer.name}: creating {peer.home.relative_to(ROOT)}/venv")
        run([python, "-m", "venv", str(peer.home / "venv")], timeout=300)
    log(f"{peer.name}: pip install {' '.join(wanted.split())}")
    run(
        [
            str(peer.bin / "pip"),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *wanted.split(),
        ],
        timeout=900,
        capture=True,
    )
    marker.write_text(wanted)


def _psql(peer: Peer, our_database_url: str) -> list[str]:
    parts = urlsplit(our_database_url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        raise BenchError(f"refusing {our_database_url}: the peers' databases are local only")
    return ["-h", parts.hostname, "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]


def ensure_database(peer: Peer, our_database_url: str, secret_key: str) -> dict:
    """Create, migrate, seed (when empty) and analyze the peer's database; idempotent."""
    psql = _psql(peer, our_database_url)
    query = f"SELECT 1 FROM pg_database WHERE datname='{peer.database}'"
    exists = run(["psql", *psql, "-d", "postgres", "-tAc", query], timeout=30, capture=True)
    if exists.stdout.strip() != "1":
        log(f"{peer.name}: creating database {peer.database}")
        run(["createdb", *psql, peer.database], timeout=60)
    env = peer_env(peer, our_database_url, secret_key)
    python = str(peer.bin / "python")
    run([python, "-m", "django", "migrate", "--noinput", "-v", "0"], env=env, timeout=600)
    log(f"{peer.name}: seed (idempotent; the first load takes under a minute)")
    seeded = last_json_line(
        run(
            [python, str(PEER_CODE / "seed.py"), "--peer", peer.name],
            env=env,
            timeout=1800,
            capture=True,
        ).stdout
    )
    # Analyzed once after the load (also when a run stopped between the load and the analyze).
    never = run(
        [
            "psql",
            *psql,
            "-d",
            peer.database,
            "-tAc",
            "SELECT count(*) FROM pg_stat_user_tables "
            "WHERE n_live_tup > 1000 AND last_analyze IS NULL AND last_autoanalyze IS NULL",
        ],
        timeout=30,
        capture=True,
    ).stdout.strip()
    if seeded.get("loaded") or never not in ("", "0"):
        log(f"{peer.name}: vacuumdb --analyze")
        run(["vacuumdb", *psql, "--analyze", "--quiet", peer.database], timeout=900)
    return seeded


def probe(peer: Peer, our_database_url: str, secret_key: str) -> dict:
    """The peer's pages, their query counts and the peer's versions (bench/peers/probe.py)."""
    if not (peer.bin / "python").exists():
        raise BenchError(f"{peer.name}: no venv in {peer.home}: run without --skip-peer-setup")
    env = peer_env(peer, our_database_url, secret_key)
    return last_json_line(
        run(
            [str(peer.bin / "python"), str(PEER_CODE / "probe.py")],
            env=env,
            timeout=300,
            capture=True,
        ).stdout
    )


# --- Server ---------------------------------------------------------------------------------------


class PeerGunicorn(Gunicorn):
    """The peer's gunicorn, started exactly as ours (2 sync workers, 127.0.0.1, a free port), from
    the peer's venv and bench/peers/, so `run.measure` loads it like any scenario."""

    def command(self, env: dict) -> tuple[str, str, Path]:
        return str(Path(env["PEER_BIN"]) / "gunicorn"), "peer_wsgi:application", PEER_CODE


def server_env(peer: Peer, our_database_url: str, secret_key: str) -> dict:
    """The environment `run.measure` hands to PeerGunicorn for this peer."""
    return {**peer_env(peer, our_database_url, secret_key), "PEER_BIN": str(peer.bin)}
