"""What the benchmarks that seed their own PostgreSQL database share: the database
set-up (an emptied database, Django pointed at it, COPY of frames) and the measured
child process (its result as one JSON line, with its peak RSS)."""

from __future__ import annotations

import base64
import io
import json
import os
import resource
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def production_env() -> dict[str, str]:
    """The environment of a production-like Django for the page benchmarks: DEBUG off,
    a random secret key, loopback hosts, and fixed personal-data keys (a benchmark's
    fake numbers, never a real deployment's keys) so that a `--reuse` run reads what
    the seeding wrote."""
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "PERSONAL_DATA_KEYS": base64.urlsafe_b64encode(
            b"bench-pages-key-".ljust(32, b"0")
        ).decode(),
        "PERSONAL_DATA_HASH_KEY": "bench-pages-hash-key-".ljust(40, "0"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        # As brokercrm/wsgi.py sets for the web processes.
        "DATABASE_PARALLEL_WORKERS": "0",
    }


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def setup_django(url: str) -> None:
    """Django configured on the benchmark's database (and the repository importable)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokercrm.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def recreate_database(url: str) -> None:
    """An empty database: created if missing, else its schema dropped and re-made.

    (Emptying the schema rather than DROP DATABASE: a drop waits on every backend
    of the cluster, including other people's.)
    """
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT datconnlimit FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if row is not None and row[0] == -2:  # left invalid by an interrupted drop
            conn.execute(f'DROP DATABASE "{name}"')
            row = None
        if row is None:
            conn.execute(f'CREATE DATABASE "{name}"')
            return
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def fresh_database(url: str) -> None:
    """An emptied database, migrated, with Django set up on it."""
    log(f"re-creating {url.rsplit('/', 1)[1]}")
    recreate_database(url)
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def copy_frame(cursor, table: str, frame: pd.DataFrame, chunk: int = 500_000) -> None:
    """COPY a frame into a table in text format, a chunk at a time."""
    columns = ", ".join(frame.columns)
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for start in range(0, len(frame), chunk):
            buffer = io.StringIO()
            frame.iloc[start : start + chunk].to_csv(
                buffer, sep="\t", header=False, index=False, na_rep="\\N"
            )
            copy.write(buffer.getvalue())


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_report(result: dict, started: float) -> None:
    """In a measured child: print its result with the seconds since `started` and
    its peak RSS, as the JSON line `run_child` reads."""
    result["seconds"] = time.perf_counter() - started
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result), flush=True)


def run_child(script: str, *args: str) -> dict:
    """Run `python script args…` (a benchmark's measured child) and return the JSON
    result its last line printed; its stderr is shown when it fails."""
    result = subprocess.run(
        [sys.executable, script, *args],
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"{Path(script).name} {' '.join(args)} failed")
    return json.loads(result.stdout.strip().splitlines()[-1])
