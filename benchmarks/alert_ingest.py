"""Alert ingestion throughput on loopback: gunicorn in front, PostgreSQL behind.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_incidents \\
        .venv/bin/python benchmarks/alert_ingest.py

Migrates the database named by DATABASE_URL, creates a bench product and an
Alertmanager integration through the services, starts gunicorn on a free
127.0.0.1 port and posts real-shaped Alertmanager v4 deliveries at it:

0. the framework floor: the same bodies posted to a minimal view doing one INSERT
   (benchmarks/floor_urls.py), to compare the receiver with;
1. new alerts: every delivery a different fingerprint (each opens an incident);
2. duplicates: the same alert again and again (each changes nothing);
3. burst: BURST identical deliveries of a fresh alert, all connections opened at
   once, which must leave exactly one incident and one timeline row.

Counts and time are bounded (see the flags); nothing leaves 127.0.0.1. Prints
requests per second and latency percentiles per phase. A figure-printing script,
not a test: run it by hand on a quiet machine.
"""

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "alerts" / "alertmanager-v4-firing.json"
HOST = "127.0.0.1"
PHASE_TIMEOUT = 180  # seconds; a phase running longer is reported as failed


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--new", type=int, default=1000, help="new-alert deliveries")
    parser.add_argument("--duplicates", type=int, default=2000)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per process")
    args = parser.parse_args()
    for name in ("new", "duplicates", "burst"):
        if not 1 <= getattr(args, name) <= 5000:
            parser.error(f"--{name} must be between 1 and 5000")
    return args


def _environment() -> dict[str, str]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it will be migrated).")
    return {
        **os.environ,
        "DEBUG": "false",  # DEBUG keeps every query in memory: not production
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
        "LOG_LEVEL": "WARNING",
        # whitenoise warns that collectstatic was not run; no static file is served.
        "PYTHONWARNINGS": "ignore:No directory at",
    }


def _prepare(env: dict[str, str]) -> tuple[int, str]:
    """Migrate, then create a product and an integration; returns (id, secret)."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from benchmarks.floor_urls import FLOOR_TABLE
    from tracker.accounts.models import Membership, Team, User
    from tracker.incidents.services import integration_create
    from tracker.products.models import Product

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id bigserial PRIMARY KEY, "
            "payload text NOT NULL, created_at timestamptz NOT NULL)"
        )
    user, _ = User.objects.get_or_create(username="bench")
    team, _ = Team.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    Membership.objects.get_or_create(team=team, user=user)
    Product.objects.get_or_create(
        slug="bench-product",
        defaults={"name": "Bench", "team": team, "stage_entered_at": timezone.now()},
    )
    integration, secret = integration_create(
        actor=user,
        data={
            "name": f"bench {timezone.now():%Y-%m-%d %H:%M:%S}",
            "kind": "alertmanager",
        },
    )
    return integration.pk, secret


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _start_gunicorn(env, port: int, args) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "benchmarks.floor_wsgi:application",  # the site plus the floor view
            f"--bind={HOST}:{port}",
            f"--workers={args.workers}",
            f"--threads={args.threads}",
            "--worker-class=gthread",
            "--backlog=2048",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group, stopped as one below
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    _stop(server)
    sys.exit("gunicorn did not answer /healthz within 30 s")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


# --- A minimal HTTP/1.1 client: one connection per delivery, as a burst of
# --- independent senders would make.


@dataclass
class Result:
    status: int
    seconds: float
    body: dict = field(default_factory=dict)


async def _post(port: int, path: str, secret: str, body: bytes) -> Result:
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection(HOST, port)
    except OSError:
        return Result(0, time.perf_counter() - started)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Authorization: Bearer {secret}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()
    raw = await reader.read()
    writer.close()
    elapsed = time.perf_counter() - started
    status_line, _, rest = raw.partition(b"\r\n")
    try:
        status = int(status_line.split()[1])
        payload = json.loads(rest.partition(b"\r\n\r\n")[2] or b"{}")
    except (IndexError, ValueError):
        return Result(0, elapsed)
    return Result(status, elapsed, payload)


def _delivery(fingerprint: str) -> bytes:
    payload = json.loads(FIXTURE.read_text())
    alert = payload["alerts"][0]
    alert["fingerprint"] = fingerprint
    alert["labels"]["product"] = "bench-product"
    alert["labels"]["instance"] = fingerprint  # distinct alerts differ in labels
    return json.dumps(payload).encode()


async def _phase(port, path, secret, bodies: list[bytes], limit: int | None):
    gate = asyncio.Semaphore(limit or len(bodies))

    async def one(body):
        async with gate:
            return await _post(port, path, secret, body)

    started = time.perf_counter()
    results = await asyncio.wait_for(
        asyncio.gather(*(one(body) for body in bodies)), PHASE_TIMEOUT
    )
    return results, time.perf_counter() - started


def _report(name: str, results: list[Result], wall: float) -> None:
    latencies = sorted(r.seconds * 1000 for r in results)
    codes: dict[int, int] = {}
    for r in results:
        codes[r.status] = codes.get(r.status, 0) + 1
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    print(
        f"{name:<34} {len(results):>6} {len(results) / wall:>9.0f} "
        f"{q[49]:>8.1f} {q[94]:>8.1f} {q[98]:>8.1f}   {codes}"
    )


def _incidents(integration_id: int, fingerprint: str) -> tuple[int, int]:
    from tracker.incidents.models import Incident, TimelineEntry

    incidents = Incident.objects.filter(
        integration_id=integration_id, fingerprint=fingerprint
    )
    timeline = TimelineEntry.objects.filter(incident__in=incidents)
    return incidents.count(), timeline.count()


def main() -> int:
    args = _args()
    env = _environment()
    integration_id, secret = _prepare(env)
    path = f"/hooks/alerts/{integration_id}/"
    run = secrets.token_hex(4)
    port = _free_port()
    server = _start_gunicorn(env, port, args)
    ok = True
    try:
        print(
            f"gunicorn {args.workers} workers x {args.threads} threads on {HOST}:{port}"
            f", client concurrency {args.concurrency}, PostgreSQL"
        )
        print(f"{'phase':<34} {'reqs':>6} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} "
              f"{'p99 ms':>8}   status codes")  # fmt: skip
        # Warm up connections and code paths so the first phase is not penalised.
        asyncio.run(_phase(port, path, secret, [_delivery(f"{run}-warm")] * 20, 8))

        bodies = [_delivery(f"{run}-floor-{i}") for i in range(args.new)]
        results, wall = asyncio.run(
            _phase(port, "/benchmark/floor/", secret, bodies, args.concurrency)
        )
        _report("floor (1 INSERT, same bodies)", results, wall)
        floor_rate = len(results) / wall
        ok &= all(r.status == 201 for r in results)

        bodies = [_delivery(f"{run}-new-{i}") for i in range(args.new)]
        results, wall = asyncio.run(
            _phase(port, path, secret, bodies, args.concurrency)
        )
        _report("new alerts (one incident each)", results, wall)
        new_rate = len(results) / wall
        opened = sum(r.body.get("opened", 0) for r in results)
        ok &= opened == args.new

        bodies = [_delivery(f"{run}-new-0")] * args.duplicates
        results, wall = asyncio.run(
            _phase(port, path, secret, bodies, args.concurrency)
        )
        _report("duplicates (nothing changes)", results, wall)
        ok &= all(r.body.get("unchanged") == 1 for r in results)
        print(
            f"ratio to the floor: new alerts {new_rate / floor_rate:.2f}, "
            f"duplicates {len(results) / wall / floor_rate:.2f}"
        )

        fingerprint = f"{run}-burst"
        bodies = [_delivery(fingerprint)] * args.burst
        results, wall = asyncio.run(_phase(port, path, secret, bodies, None))
        _report(f"burst: {args.burst} identical at once", results, wall)
        incidents, rows = _incidents(integration_id, fingerprint)
        opened = sum(r.body.get("opened", 0) for r in results)
        accepted = sum(1 for r in results if r.status == 200)
        burst_ok = incidents == 1 and rows == 1 and opened == 1
        ok &= burst_ok and accepted == args.burst
        print(
            f"burst check: {accepted}/{args.burst} accepted, {incidents} incident, "
            f"{rows} timeline row, opened reported {opened} time(s) -> "
            f"{'OK' if burst_ok else 'FAILED'}"
        )
    finally:
        _stop(server)
    print("all checks passed" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
