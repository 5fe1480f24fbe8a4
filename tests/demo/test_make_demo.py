"""`make demo` (what `make run` does before serving), run for real on a fresh
SQLite file: its console stays short, the mail the seed sends is kept in files,
and the links the app writes (that mail, the postmortems' prefilled links) point
at the PORT make was given."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def fake_venv(path: Path) -> Path:
    """A VENV for make whose python is this interpreter, already installed:
    make must not reinstall the shared virtualenv."""
    bin_dir = path / "bin"
    bin_dir.mkdir(parents=True)
    python = bin_dir / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    stamp = path / ".installed"
    stamp.touch()
    later = (ROOT / "pyproject.toml").stat().st_mtime + 1
    os.utime(stamp, (later, later))
    return path


def test_make_demo_prints_no_mail_and_links_follow_port(tmp_path):
    mail = tmp_path / "mail"
    keep = ("PATH", "HOME", "LANG", "TZ")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env |= {"SQLITE_PATH": str(tmp_path / "demo.sqlite3"), "EMAIL_FILE_PATH": str(mail)}
    venv = fake_venv(tmp_path / "venv")
    result = subprocess.run(
        ["make", "--no-print-directory", "demo", "PORT=8123", f"VENV={venv}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # What the seed prints, after migrate's list of migrations applied.
    seeding = output.split("manage.py seed_demo\n", 1)[1].splitlines()
    assert len(seeding) <= 3, output
    assert "Sign in as alice" in seeding[-1]
    assert "Subject:" not in output
    sent = "".join(p.read_text() for p in mail.iterdir())
    assert sent.count("\nSubject: ") >= 10
    assert "http://127.0.0.1:8123/incidents/" in sent
    assert "http://127.0.0.1:8000" not in sent
    # The links prefilled into the demo's postmortems, from their incidents (a
    # product failure's postmortem covers none).
    with sqlite3.connect(env["SQLITE_PATH"]) as db:
        links = [
            row[0]
            for row in db.execute(
                "SELECT links FROM postmortems_postmortem WHERE failure_kind = ''"
            )
        ]
    assert links and all("http://127.0.0.1:8123/incidents/" in text for text in links)
