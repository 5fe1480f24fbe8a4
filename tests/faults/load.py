"""A concurrent mix of CI-status posts and alert deliveries against the app on
loopback, and what each request was answered: for tests/faults/test_load.py,
and at a larger scale for benchmarks/faults_and_load.py (through that test)."""

import hashlib
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from tests.faults.app_server import AppServer
from tests.incidents.conftest import alert_payload

CONTEXTS = ["data-validation", "train", "evaluate", "deploy"]
STATES = ["pending", "running", "success", "failure"]


@dataclass(frozen=True)
class Job:
    kind: str  # "ci" or "alert"
    key: tuple  # (sha, context) or (fingerprint,)
    path: str
    body: bytes
    secret: str


@dataclass
class Outcome:
    """What the app answered, per kind and key; 0 means no HTTP answer."""

    statuses: Counter = field(default_factory=Counter)
    accepted: Counter = field(default_factory=Counter)  # (kind, key) -> 2xx
    created: Counter = field(default_factory=Counter)  # (kind, key) -> 201
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def keys(self, kind: str) -> set:
        return {key for k, key in self.accepted if k == kind}

    def count(self, kind: str) -> int:
        return sum(n for (k, _), n in self.accepted.items() if k == kind)


def jobs(
    *, count: int, ci: tuple[str, str], alerts: tuple[int, str], seed: int = 7
) -> list[Job]:
    """`count` requests, half CI statuses and half alert deliveries, drawn
    from small key sets so many repeat (a repeated CI key updates its row, a
    repeated fingerprint changes nothing). ci = (product slug, CI token);
    alerts = (integration id, its secret)."""
    rng = random.Random(seed)
    shas = [
        hashlib.sha1(f"{seed}-{i}".encode()).hexdigest() for i in range(count // 8 + 1)
    ]
    fingerprints = [f"load-{seed}-{i}" for i in range(count // 6 + 1)]
    made = []
    for n in range(count):
        if rng.random() < 0.5:
            key = (rng.choice(shas), rng.choice(CONTEXTS))
            body = {"sha": key[0], "context": key[1], "state": rng.choice(STATES)}
            # A run of its own: each report changes its stage, so each is in the
            # history (a repeat that changes nothing would not be).
            body["run_id"] = f"run-{n}"
            made.append(
                Job("ci", key, f"/api/v1/products/{ci[0]}/ci-status/",
                    json.dumps(body).encode(), ci[1])
            )  # fmt: skip
        else:
            key = (rng.choice(fingerprints),)
            body = json.dumps(alert_payload(key[0])).encode()
            made.append(
                Job("alert", key, f"/hooks/alerts/{alerts[0]}/", body, alerts[1])
            )
    return made


def fire(
    server: AppServer, work: list[Job], *, clients: int, seconds: float
) -> Outcome:
    """Send `work` from `clients` threads, each request on a connection of its
    own; stop starting requests after `seconds` (those not sent are not
    counted)."""
    outcome, pending = Outcome(), list(reversed(work))
    take = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        while time.monotonic() < deadline:
            with take:
                if not pending:
                    return
                job = pending.pop()
            _send(server, job, outcome)

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcome.seconds = time.monotonic() - started
    return outcome


def _send(server: AppServer, job: Job, outcome: Outcome) -> None:
    headers = {
        "Authorization": f"Bearer {job.secret}",
        "Content-Type": "application/json",
    }
    try:
        status = server.request("POST", job.path, job.body, headers=headers).status
    except OSError:
        status = 0
    with outcome.lock:
        outcome.statuses[status] += 1
        if 200 <= status < 300:
            outcome.accepted[(job.kind, job.key)] += 1
            outcome.created[(job.kind, job.key)] += status == 201
