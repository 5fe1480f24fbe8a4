"""Alert ingestion on loopback: gunicorn in front, a Celery worker behind,
PostgreSQL and Redis as in production.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_incidents \\
    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python benchmarks/alert_ingest.py

Migrates the database named by DATABASE_URL, creates a bench product and an
Alertmanager integration through the services, starts gunicorn and a Celery
worker (on a queue of the run's own) and posts real-shaped Alertmanager v4
deliveries of ALERTS alerts each:

0. the framework floor: the same bodies posted to a minimal view doing one
   INSERT (benchmarks/floor_urls.py), the receiver's reference request rate;
1. new alerts: DELIVERIES deliveries of new alerts, each answered 202 once
   stored; then waits (bounded) until the worker has ingested every one, and
   prints the time from a delivery's arrival to its incidents (p50, p99);
2. redelivery: the same deliveries again (a sender retrying), which must open
   nothing more;
3. burst: BURST identical deliveries of one fresh alert at once, which must
   leave exactly one incident and one timeline row;
4. overlapping: DELIVERIES deliveries of new alerts, each sharing half its
   alerts with the one before (a tool re-sending a growing group), all at
   once: one incident per distinct alert, and how long ingesting took.

Phases 0 and 1 run --repeat times (fresh alerts each time), printing the
ratio's median and range: a phase is only DELIVERIES requests, so one figure
moves with the machine's load. Both are warmed up alike first, uncounted.

Counts and time are bounded (see the flags); nothing leaves 127.0.0.1. Prints
requests per second and latency percentiles per phase, lost and duplicated
alerts. A figure-printing script, not a test: run it on a quiet machine.
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
WARM_ROUNDS = 4  # uncounted requests per server thread, before each measured path


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=100)
    parser.add_argument("--alerts", type=int, default=100, help="per delivery")
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per process")
    parser.add_argument("--celery", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=10,
        help="the worker's CPU priority below the web's (docs/operations.md); 0: same",
    )
    parser.add_argument("--wait", type=float, default=900, help="ingest cap, s")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure the floor and new alerts this many times (the spread)",
    )
    args = parser.parse_args()
    for name in ("deliveries", "alerts", "burst", "repeat"):
        if not 1 <= getattr(args, name) <= 5000:
            parser.error(f"--{name} must be between 1 and 5000")
    return args


def _environment() -> dict[str, str]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it will be migrated).")
    if not os.environ.get("REDIS_URL"):
        sys.exit("Set REDIS_URL to a scratch Redis database (the worker's broker).")
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
    from tracker.incidents.services.incidents import integration_create
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


def _start_worker(env, args) -> subprocess.Popen:
    nice = ["nice", "-n", str(args.worker_nice)] if args.worker_nice else []
    return subprocess.Popen(
        [
            *nice,
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "tracker",
            "worker",
            f"--concurrency={args.celery}",
            "--loglevel=warning",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,  # its banner
        start_new_session=True,
    )


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


def _delivery(prefix: str, alerts: int, first: int = 0) -> bytes:
    """A delivery of alerts `prefix`-`first` … `prefix`-(`first` + `alerts` - 1)."""
    payload = json.loads(FIXTURE.read_text())
    template = payload["alerts"][0]
    payload["alerts"] = []
    for i in range(first, first + alerts):
        alert = json.loads(json.dumps(template))
        alert["fingerprint"] = f"{prefix}-{i}"
        alert["labels"]["product"] = "bench-product"
        alert["labels"]["instance"] = f"{prefix}-{i}"  # distinct alerts' labels differ
        payload["alerts"].append(alert)
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


def _ingested(ids: list[int], cap: float) -> bool:
    """Wait (bounded) until every delivery of `ids` has been ingested."""
    from tracker.incidents.models import AlertDelivery

    deadline = time.monotonic() + cap
    while time.monotonic() < deadline:
        if not AlertDelivery.objects.filter(pk__in=ids, state="pending").exists():
            return True
        time.sleep(0.5)
    return False


def _analyze() -> None:
    """Refresh the planner's statistics of the tables ingestion fills, as
    autovacuum does in production (some servers run without it: then the
    known-alerts lookup is planned for an empty table and reads every open
    incident of the integration, slower with every repeat)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE incidents_incident, incidents_timelineentry, "
            "incidents_alertdelivery, audit_auditevent"
        )


def _incidents(integration_id: int, prefix: str):
    from tracker.incidents.models import Incident

    return Incident.objects.filter(
        integration_id=integration_id, fingerprint__startswith=prefix
    )


def _to_incident_ms(incidents) -> list[float]:
    """Arrival (detected_at: the delivery's arrival) to the incident's row."""
    return sorted(
        (created - detected).total_seconds() * 1000
        for created, detected in incidents.values_list("created_at", "detected_at")
    )


def _new_alerts(args, port, path, secret, integration_id, prefix):
    """The floor, then new alerts accepted and ingested: one repeat."""
    expected = args.deliveries * args.alerts
    rounds = range(args.deliveries)
    bodies = [_delivery(f"{prefix}-floor-{d}", args.alerts) for d in rounds]
    results, wall = asyncio.run(
        _phase(port, "/benchmark/floor/", secret, bodies, args.concurrency)
    )
    _report("floor (1 INSERT, same bodies)", results, wall)
    floor_rate = len(results) / wall
    ok = all(r.status == 201 for r in results)

    bodies = [_delivery(f"{prefix}-new-{d}", args.alerts) for d in rounds]
    results, wall = asyncio.run(_phase(port, path, secret, bodies, args.concurrency))
    _report("new alerts: accepted", results, wall)
    ok &= all(r.status == 202 for r in results)
    ratio = len(results) / wall / floor_rate
    print(f"accept rate / floor: {ratio:.2f} (goal >= 0.5)")
    done, incidents, count = _ingestion(
        "new alerts", results, args, integration_id, f"{prefix}-new-"
    )
    lost = expected - count
    ok &= done and lost == 0
    return ok, ratio, bodies, incidents, count, lost


def _ingestion(label: str, results, args, integration_id, prefix: str):
    """Wait (bounded) until the accepted deliveries of `results` are ingested;
    print how long that took after the last was accepted, the incidents of the
    alerts `prefix`… and their time to incident. Then refresh the planner's
    statistics, outside the measured phases. Returns (all ingested, those
    incidents, how many)."""
    started = time.monotonic()
    ids = [r.body.get("delivery") for r in results]
    done = _ingested(ids, args.wait)
    took = time.monotonic() - started
    incidents = _incidents(integration_id, prefix)
    count = incidents.count()
    print(f"{label}: ingested {'all' if done else 'NOT ALL'} {len(ids)} deliveries "
          f"{took:.1f} s after the last was accepted, {count} incidents")  # fmt: skip
    latencies = _to_incident_ms(incidents)
    if len(latencies) > 1:
        q = statistics.quantiles(latencies, n=100)
        print(f"{label}: time to incident p50 {q[49]:.0f} ms, p99 {q[98]:.0f} ms")
    _analyze()
    return done, incidents, count


def _overlapping(args, port, path, secret, integration_id, prefix) -> bool:
    """New alerts whose deliveries overlap, as a tool re-sending a growing
    group does: each delivery holds half of the one before's alerts and half
    new ones, all sent at once, so deliveries of the same new alert are
    ingested concurrently. Each alert must open exactly one incident."""
    half = args.alerts // 2
    bodies = [
        _delivery(prefix, args.alerts, first=d * half) for d in range(args.deliveries)
    ]
    distinct = (args.deliveries - 1) * half + args.alerts
    results, wall = asyncio.run(_phase(port, path, secret, bodies, args.concurrency))
    _report("overlapping: half shared", results, wall)
    done, _, count = _ingestion(
        f"overlapping ({distinct} distinct alerts)",
        results,
        args,
        integration_id,
        f"{prefix}-",
    )
    return done and count == distinct and all(r.status == 202 for r in results)


def main() -> int:
    args = _args()
    env = _environment()
    integration_id, secret = _prepare(env)
    path = f"/hooks/alerts/{integration_id}/"
    run = secrets.token_hex(4)
    port = _free_port()
    server = _start_gunicorn(env, port, args)
    worker = _start_worker(env, args)
    ok = True
    expected = args.deliveries * args.alerts
    try:
        print(
            f"gunicorn {args.workers} workers x {args.threads} threads on {HOST}:{port}"
            f", Celery worker x {args.celery}, client concurrency {args.concurrency}, "
            f"PostgreSQL + Redis; {args.deliveries} deliveries of {args.alerts} alerts"
        )
        print(f"{'phase':<34} {'reqs':>6} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} "
              f"{'p99 ms':>8}   status codes")  # fmt: skip
        # Warm-up, not counted, the same for the floor and the receiver: as
        # many requests as the server has threads, times WARM_ROUNDS, at the
        # measured concurrency, so each thread has opened its database (and
        # the receiver's, its broker) connection and run the code path before
        # either is measured. The worker is ready once it has ingested these.
        warm = [
            _delivery(f"{run}-warm-{i}", 1)
            for i in range(WARM_ROUNDS * args.workers * args.threads)
        ]
        asyncio.run(_phase(port, "/benchmark/floor/", secret, warm, args.concurrency))
        results, _ = asyncio.run(_phase(port, path, secret, warm, args.concurrency))
        if not _ingested([r.body.get("delivery") for r in results], 60):
            sys.exit("the Celery worker ingested nothing within 60 s")
        _analyze()

        ratios = []
        for repeat in range(args.repeat):
            passed, ratio, bodies, incidents, count, lost = _new_alerts(
                args, port, path, secret, integration_id, f"{run}-r{repeat}"
            )
            ok &= passed
            ratios.append(ratio)
        if len(ratios) > 1:
            print(f"accept rate / floor over {len(ratios)} repeats: median "
                  f"{statistics.median(ratios):.2f}, {min(ratios):.2f}-"
                  f"{max(ratios):.2f}")  # fmt: skip

        results, wall = asyncio.run(
            _phase(port, path, secret, bodies, args.concurrency)
        )
        _report("redelivery of the same", results, wall)
        again = [r.body.get("delivery") for r in results]
        ok &= _ingested(again, args.wait)
        from tracker.incidents.models import AlertDelivery

        reopened = sum(
            AlertDelivery.objects.filter(pk__in=again).values_list("opened", flat=True)
        )
        duplicated = incidents.count() - count + reopened
        print(f"alerts: {expected} sent, {count} incidents, lost {lost}, "
              f"duplicated on redelivery {duplicated}")  # fmt: skip
        ok &= duplicated == 0

        fingerprint = f"{run}-burst"
        bodies = [_delivery(fingerprint, 1)] * args.burst
        results, wall = asyncio.run(_phase(port, path, secret, bodies, None))
        _report(f"burst: {args.burst} identical at once", results, wall)
        ok &= _ingested([r.body.get("delivery") for r in results], args.wait)
        burst = _incidents(integration_id, fingerprint)
        rows = sum(incident.timeline.count() for incident in burst)
        burst_ok = burst.count() == 1 and rows == 1
        ok &= burst_ok and all(r.status == 202 for r in results)
        print(f"burst check: {burst.count()} incident, {rows} timeline row -> "
              f"{'OK' if burst_ok else 'FAILED'}")  # fmt: skip
        ok &= _overlapping(args, port, path, secret, integration_id, f"{run}-ov")
    finally:
        _stop(worker)
        _stop(server)
    print("all checks passed" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
