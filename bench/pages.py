"""Benchmark: the advisor's pages under load, against a bare Django view.

    .venv/bin/python bench/pages.py [--seconds 30] [--users 20] [--port 8405]

Drops and re-creates its own PostgreSQL database (default `brokercrm_pages_bench`, or
BENCH_DATABASE_URL), seeds a branch where one advisor has every one of 2,000 clients
(`seed_demo --advisors 1`) and scores it, then serves it with gunicorn (2 workers,
persistent database connections, DEBUG off) on loopback and runs `--users` simulated
signed-in users for `--seconds`, each going round its role's pages (PAGES), with no
think time by default (every user clicks again the moment a page arrives: the server
is saturated and the figures are mostly queueing) or `--think S` seconds on average
between clicks, as people reading a page do. Prints p50/p95/p99 and requests/s per page, and the same for a bare Django
view hit in the same run. The last line:

    RESULT worst_p95_ms=X bare_p95_ms=Y ratio=R

The managers' pages at their issue's scale (20 advisors, 50,000 clients), under the
same load: seed with bench/kpi_pages.py, then `BENCH_DATABASE_URL=…/brokercrm_kpipages
bench/pages.py --reuse --role manager --manager bench-manager`.

Other roles' pages: add a (name, path) list to PAGES under the role and a user of that
role to USERS; `--role` picks which roles run (default: every role with a user). The
manager's pages run here on the one-advisor branch; bench/kpi_pages.py measures them on
20 advisors and 50,000 clients and ends with the same RESULT line.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import production_env  # noqa: E402

DEFAULT_URL = "postgres://brokercrm:brokercrm@127.0.0.1:5432/brokercrm_pages_bench"
ADVISOR = "demo-advisor"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def setup(url: str, clients: int) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    log(f"seeding {clients} clients, one advisor")
    call_command("seed_demo", clients=clients, advisors=1, verbosity=0)
    call_command("recompute", verbosity=0)


def pages_for_advisor() -> list[tuple[str, str | list[str]]]:
    """The advisor's pages; a list of paths is taken in turn (different clients…)."""
    from advisors.models import User
    from workspace.filters import ClientFilterSet
    from workspace.selectors import book_list, cursor_after

    user = User.objects.get(username=ADVISOR)
    book = book_list(user=user)
    total = book.count()
    deep = cursor_after(book, ordering="-value_score", offset=max(total - 60, 1))
    filtered = {"segment": ["core", "maintaining"], "ordering": "-assets"}
    assert ClientFilterSet(filtered, queryset=book).is_valid()
    client_ids = list(book.order_by("?").values_list("pk", flat=True)[:50])
    names = list(book.order_by("?").values_list("name", flat=True)[:50])
    # Phone numbers are encrypted: the search finds one by its whole value (keyed hash).
    phones = [p for p in book.values_list("phone", flat=True)[:200] if p][:25]
    searches = [n[:2] for n in names[:25]] + phones
    log(f"{ADVISOR}: {total} clients in the book")
    return [
        ("today", "/"),
        ("book_filtered_sorted", "/book/?" + urlencode(filtered, doseq=True)),
        (
            "book_deep_page",
            "/book/?" + urlencode({"ordering": "-value_score", "cursor": deep}),
        ),
        ("client_page", [f"/clients/{pk}/" for pk in client_ids]),
        ("search", ["/book/?" + urlencode({"q": q}) for q in searches]),
        ("tasks", "/tasks/?view=all"),
    ]


MANAGER = "demo-manager"


def pages_for_manager() -> list[tuple[str, str | list[str]]]:
    """The manager's pages (kpis) on this benchmark's small branch. The managers' half
    at their issue's scale (20 advisors, 50,000 clients) is bench/kpi_pages.py."""
    from advisors.models import Advisor, User

    user = User.objects.get(username=USERS["manager"])
    advisor = Advisor.objects.filter(branch_id=user.branch_id).order_by("pk").first()
    return [
        ("kpi_branch", "/kpi/branch/"),
        ("kpi_scorecard", f"/kpi/advisors/{advisor.pk}/"),
        ("kpi_ranking", "/kpi/ranking/?sort=commission"),
        ("kpi_reassign_book", f"/kpi/reassign/?from_advisor={advisor.pk}"),
        ("kpi_duplicates", "/kpi/duplicates/"),
    ]


#: role -> (username, callable returning [(name, path or [paths])]).
USERS = {"advisor": ADVISOR, "manager": MANAGER}
PAGES = {"advisor": pages_for_advisor, "manager": pages_for_manager}


def session_cookie(username: str) -> str:
    """A signed-in session for `username`, as the browser would hold it."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from advisors.models import User

    user = User.objects.get(username=username)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    # The model backend (django-axes' comes first and reads no user from a session).
    store[BACKEND_SESSION_KEY] = next(
        b for b in settings.AUTHENTICATION_BACKENDS if "axes" not in b.lower()
    )
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def serve(port: int, env: dict) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "brokercrm.wsgi",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(ROOT),
        "--access-logfile",
        "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
        "--log-level",
        "warning",
        "--timeout",
        "60",
    ]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/bench/bare/")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def get(port: int, path: str, cookie: str) -> tuple[int, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
        response = conn.getresponse()
        response.read()
        return response.status, (time.perf_counter() - started) * 1000
    finally:
        conn.close()


def run(port: int, plan: list, users: int, seconds: float, think: float = 0.0) -> dict:
    """`plan`: [(role cookie, [(name, paths)])]; every user loops over its pages and the
    bare view, until the time is up, pausing a random think time (exponential, mean
    `think` seconds; none when 0) after each answer. Returns {name: [ms, …]} and errors."""
    timings: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def user(index: int):
        pause = random.Random(index)  # the same pauses in every run
        cookie, pages = plan[index % len(plan)]
        steps = [*pages, ("bare_django_view", "/bench/bare/")]
        turn = index
        while time.monotonic() < deadline:
            name, paths = steps[turn % len(steps)]
            path = (
                paths
                if isinstance(paths, str)
                else paths[(turn // len(steps)) % len(paths)]
            )
            turn += 1
            try:
                status, ms = get(port, path, cookie)
            except OSError:
                status, ms = 0, 0.0
            with lock:
                if status == 200:
                    timings.setdefault(name, []).append(ms)
                else:
                    errors[name] = errors.get(name, 0) + 1
                    statuses[status] = statuses.get(status, 0) + 1
            if think > 0:
                time.sleep(min(pause.expovariate(1 / think), 5 * think))

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"timings": timings, "errors": errors, "statuses": statuses}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--port", type=int, default=8405)
    parser.add_argument("--role", action="append", help="roles to run (default: all)")
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database")
    parser.add_argument(
        "--manager",
        default=MANAGER,
        help="the manager's username (bench-manager: on bench/kpi_pages.py's "
        "database, with BENCH_DATABASE_URL and --reuse --role manager)",
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean think time between a user's clicks, in seconds (default 0: none)",
    )
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "bench.pages_settings",
        **production_env(),
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if not args.reuse:
        setup(url, args.clients)
    from django.core.management import call_command

    # DEBUG off serves the hashed static files' names: collect them as production does.
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.db import connections

    roles = args.role or list(USERS)
    USERS["manager"] = args.manager
    plan = [(session_cookie(USERS[r]), PAGES[r]()) for r in roles]
    connections.close_all()

    server = serve(args.port, env)
    try:
        log("warming up")
        run(args.port, plan, users=4, seconds=3)
        log(
            f"{args.users} users for {args.seconds:.0f} s on 127.0.0.1:{args.port}, "
            f"think time {args.think:g} s"
        )
        started = time.monotonic()
        result = run(
            args.port, plan, users=args.users, seconds=args.seconds, think=args.think
        )
        elapsed = time.monotonic() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    timings, errors = result["timings"], result["errors"]
    if errors:
        log(f"failed requests by status (0: no answer): {result['statuses']}")
    print(
        f"{'page':<24}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>8}{'errors':>8}"
    )
    for name, values in sorted(timings.items()):
        print(
            f"{name:<24}{len(values):>7}{statistics.median(values):>9.1f}"
            f"{pct(values, 0.95):>9.1f}{pct(values, 0.99):>9.1f}"
            f"{len(values) / elapsed:>8.1f}{errors.get(name, 0):>8}"
        )
    for name in sorted(set(errors) - set(timings)):
        print(f"{name:<24}{0:>7}{'-':>9}{'-':>9}{'-':>9}{0:>8.1f}{errors[name]:>8}")
    bare = pct(timings["bare_django_view"], 0.95)
    pages = {n: v for n, v in timings.items() if n != "bare_django_view"}
    worst_name, worst = max(
        ((n, pct(v, 0.95)) for n, v in pages.items()), key=lambda item: item[1]
    )
    total = sum(len(v) for v in timings.values())
    print(
        f"total {total} requests in {elapsed:.1f} s ({total / elapsed:.1f} req/s); "
        f"errors {sum(errors.values())}; worst page {worst_name}"
    )
    print(
        f"RESULT worst_p95_ms={worst:.1f} bare_p95_ms={bare:.1f} ratio={worst / bare:.2f}"
        f" think_s={args.think:g} users={args.users}"
    )


if __name__ == "__main__":
    main()
