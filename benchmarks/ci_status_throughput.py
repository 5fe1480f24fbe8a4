"""CI-status POST throughput and latency, beside the framework floor.

Starts the site with gunicorn on 127.0.0.1 against PostgreSQL, then posts a
bounded number of requests from a few client processes to:

- the framework floor: the least a Django write request costs on this stack.
  A minimal view (benchmarks/floor_urls.py) that does one INSERT and answers a
  small JSON body, through the site's whole middleware stack. It checks no
  token, counts nothing against a rate and validates nothing: that is what the
  CI-status POST adds to the framework, and what the ratio prices.
- the DRF floor: the same INSERT inside DRF's request cycle as every API view
  runs it (the same CI token read, permission, throttle, a one-field input
  serializer, a rendered answer): what the framework and the token cost before
  an endpoint does anything of its own.
- POST /api/v1/products/{slug}/ci-status/ with a product CI token, half first
  reports (INSERT, pending) and half the stage finishing (UPDATE, success),
  each also writing a history row.
  On top of the floor it goes the way every API request goes (DRF's view,
  authentication, permission, throttle, serializers and error handling): it
  reads the bearer token (one indexed query, every request), counts the
  request against the CI rate (set high enough here never to refuse),
  validates the report with CIStatusIn, locks the stage's row (or inserts it),
  writes the change and its history row in one transaction, asks whether an ML
  test is mapped to a finished stage, and answers with CIStatusOut.

Fair by construction: one gunicorn server (benchmarks/floor_wsgi.py serves the
site's own tracker.wsgi module, with the floor's URL added) with the same sync
workers for both, the same client processes, the same database and connection
settings (persistent connections, health checks), and the targets alternating
in rounds so a change in the machine's load weighs on both alike.

Prints requests/s, p50 and p99 latency for both, the throughput ratio and the
load average. Goals: the API at least 0.5x the floor, p99 under 50 ms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_bench \\
        .venv/bin/python benchmarks/ci_status_throughput.py

The database is created if missing and migrated; use a scratch database, the
run adds a product and its reports to it. Only loopback traffic, bounded in
count (--requests) and time (--seconds per round).
"""

import argparse
import http.client
import json
import multiprocessing
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"

# The app runs as in production (DEBUG off), on plain HTTP on loopback and with
# throttling out of the way of the measurement.
ENV = {
    "DJANGO_SETTINGS_MODULE": "tracker.settings",
    "DEBUG": "false",
    "SECRET_KEY": "benchmark-only-" + secrets.token_hex(16),
    "ALLOWED_HOSTS": HOST,
    "SECURE_SSL_REDIRECT": "false",
    "API_RATE": "10000000/min",
    "API_RATE_CI": "10000000/min",
    "LOG_LEVEL": "WARNING",
    # No collected static files are needed to serve JSON.
    "PYTHONWARNINGS": "ignore:No directory at",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2400, help="per target")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--warmup", type=int, default=200, help="per target")
    parser.add_argument("--rounds", type=int, default=4, help="alternations")
    parser.add_argument("--seconds", type=float, default=30, help="cap per round")
    parser.add_argument("--port", type=int, default=0, help="server port (0: any)")
    return parser.parse_args()


# --- Set-up -----------------------------------------------------------------------


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare() -> tuple[str, str]:
    """Migrate, create the floor table, a product and its CI token."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from benchmarks.floor_urls import FLOOR_TABLE
    from tracker.accounts.models import Membership, Team, User
    from tracker.accounts.services import token_create
    from tracker.products.services import product_create

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id bigserial PRIMARY KEY, "
            "payload text NOT NULL, created_at timestamptz NOT NULL)"
        )
    user, _ = User.objects.get_or_create(username="benchmark")
    team, _ = Team.objects.get_or_create(slug="benchmark", defaults={"name": "Bench"})
    Membership.objects.get_or_create(team=team, user=user)
    product = product_create(
        actor=user,
        data={
            "name": "Benchmark",
            "slug": f"bench-{secrets.token_hex(4)}",
            "team": team,
        },
    )
    _, raw = token_create(user=user, name="benchmark", product=product)
    connections.close_all()  # the client processes are forked from here
    return product.slug, raw


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_server(port: int, workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "benchmarks.floor_wsgi:application",
            f"--bind={HOST}:{port}",
            f"--workers={workers}",
            "--log-level=warning",
            f"--pythonpath={ROOT}",
        ],
        cwd=ROOT,
        env={**os.environ, **ENV},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start within 30 s")


# --- Load ------------------------------------------------------------------------


def _client(job: dict) -> dict:
    """One client: its requests in sequence, as fast as answers come back."""
    conn = http.client.HTTPConnection(HOST, job["port"], timeout=10)
    latencies, statuses = [], {}
    deadline = time.monotonic() + job["seconds"]
    for body in job["bodies"]:
        if time.monotonic() > deadline:
            break
        start = time.perf_counter()
        conn.request("POST", job["path"], body=body, headers=job["headers"])
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - start)
        statuses[response.status] = statuses.get(response.status, 0) + 1
    conn.close()
    return {"latencies": latencies, "statuses": statuses}


def run_load(pool, port: int, target: dict, count: int, args) -> dict:
    per_client = count // args.clients // 2 * 2  # whole create/update pairs
    jobs = [
        {
            "port": port,
            "path": target["path"],
            "headers": target["headers"],
            "bodies": [target["body"](client, n) for n in range(per_client)],
            "seconds": args.seconds,
        }
        for client in range(args.clients)
    ]
    start = time.perf_counter()
    results = pool.map(_client, jobs)
    statuses: dict[int, int] = {}
    for result in results:
        for status, n in result["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    return {
        "elapsed": time.perf_counter() - start,
        "latencies": [x for r in results for x in r["latencies"]],
        "statuses": statuses,
    }


def summarise(rounds: list[dict]) -> dict:
    latencies = sorted(x for r in rounds for x in r["latencies"])
    statuses: dict[int, int] = {}
    for r in rounds:
        for status, n in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    return {
        "requests": len(latencies),
        "statuses": statuses,
        "rate": len(latencies) / sum(r["elapsed"] for r in rounds),
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def targets(slug: str, raw: str, run: str) -> dict[str, dict]:
    json_headers = {"Content-Type": "application/json"}

    def ci_body(client: int, n: int) -> bytes:
        # Pairs of posts per commit: the first creates the stage's row, the
        # second (success) updates it, as a pipeline stage would. `run` keeps
        # the rounds' commits apart.
        sha = f"{run}{client:03x}{n // 2:036x}"
        state = "pending" if n % 2 == 0 else "success"
        return json.dumps(
            {"sha": sha, "context": "train", "state": state, "metrics": {"auc": 0.9}}
        ).encode()

    return {
        "floor (1 INSERT)": {
            "path": "/benchmark/floor/",
            "headers": json_headers,
            "body": lambda client, n: json.dumps({"client": client, "n": n}).encode(),
        },
        "DRF floor": {
            "path": "/benchmark/floor/api/",
            "headers": {**json_headers, "Authorization": f"Bearer {raw}"},
            "body": lambda client, n: json.dumps({"n": n}).encode(),
        },
        "CI status POST": {
            "path": f"/api/v1/products/{slug}/ci-status/",
            "headers": {**json_headers, "Authorization": f"Bearer {raw}"},
            "body": ci_body,
        },
    }


def main() -> None:
    args = parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(
            "Set DATABASE_URL to a scratch PostgreSQL database, e.g. "
            "postgres://postgres@127.0.0.1:5432/tracker_bench"
        )
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    ensure_database(url)
    slug, raw = prepare()
    port = args.port or free_port()
    load = os.getloadavg()[0]
    server = start_server(port, args.workers)
    results: dict[str, list[dict]] = {}
    try:
        # Forked after set-up: the clients only speak HTTP.
        with multiprocessing.get_context("fork").Pool(args.clients) as pool:
            for target in targets(slug, raw, "f").values():
                run_load(pool, port, target, args.warmup, args)
            # Alternate the targets in rounds, so a change in the machine's load
            # during the run weighs on both alike.
            for round_ in range(args.rounds):
                for name, target in targets(slug, raw, f"{round_:x}").items():
                    per_round = args.requests // args.rounds
                    results.setdefault(name, []).append(
                        run_load(pool, port, target, per_round, args)
                    )
    finally:
        server.terminate()
        server.wait(timeout=30)
    summaries = {name: summarise(rounds) for name, rounds in results.items()}
    report(summaries, args, load=(load, os.getloadavg()[0]))


def report(results: dict[str, dict], args, load: tuple[float, float]) -> None:
    print(
        f"\n{args.clients} client processes, {args.workers} gunicorn sync workers, "
        f"PostgreSQL; {args.requests} requests per target in {args.rounds} "
        f"alternating rounds, after {args.warmup} warm-up requests; load average "
        f"{load[0]:.1f} before, {load[1]:.1f} after\n"
    )
    print(
        f"{'target':<18}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}  statuses"
    )
    for name, r in results.items():
        print(
            f"{name:<18}{r['requests']:>9}{r['rate']:>9.0f}{r['p50']:>9.2f}"
            f"{r['p99']:>9.2f}  {dict(sorted(r['statuses'].items()))}"
        )
    floor, api = results["floor (1 INSERT)"], results["CI status POST"]
    ratio = api["rate"] / floor["rate"]
    drf = results["DRF floor"]["rate"] / floor["rate"]
    print(
        f"\nthroughput ratio DRF floor/floor: {drf:.2f}, CI/DRF floor: "
        f"{api['rate'] / results['DRF floor']['rate']:.2f}"
    )
    print(
        f"throughput ratio CI/floor: {ratio:.2f} (goal >= 0.5: "
        f"{'met' if ratio >= 0.5 else 'MISSED'}); CI p99 {api['p99']:.1f} ms "
        f"(goal < 50 ms: {'met' if api['p99'] < 50 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
