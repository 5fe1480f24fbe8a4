"""The README says true things a newcomer can run: its API examples, run by bash
as they are written, against a live server on the demo data, and the pages its
"first hour" walks through, on the demo as `make run` seeds it."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tracker.accounts.models import User
from tracker.ci.models import CIStatus
from tracker.demo.seed import seed_demo

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
SCRIPT = "#!/usr/bin/env sh"
# Every curl the examples run answers 2xx (or curl exits 22 and bash stops), and
# reports its status on stderr, where the examples' output does not go.
CURL_SHIM = """#!/bin/sh
exec {curl} --fail-with-body -w '%{{stderr}}HTTP %{{http_code}}\\n' "$@"
"""


def section(title: str) -> str:
    """The README's `## title` section, up to the next `## ` heading."""
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def sh_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)


def run_bash(script: str, *args: str, cwd: Path, env: dict[str, str]):
    shim = cwd / "shim"
    shim.mkdir(exist_ok=True)
    curl = shim / "curl"
    curl.write_text(CURL_SHIM.format(curl=shutil.which("curl")))
    curl.chmod(0o755)
    path = f"{shim}:{os.environ['PATH']}"
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script, "readme", *args],
        cwd=cwd,
        env={"PATH": path, "HOME": str(cwd), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db(transaction=True)
def test_readme_api_examples_run_against_the_demo(live_server, tmp_path):
    examples, stage_script = sh_blocks(section("API"))
    assert stage_script.startswith(SCRIPT)
    assert "$TRACKER/" in examples and not re.search(r"/(42|7|12)/", examples)
    assert seed_demo()
    env = {"TRACKER": live_server.url}
    done = run_bash(
        examples + 'printf %s "$CI_TOKEN" > ci-token\n', cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    statuses = re.findall(r"^HTTP (\d{3})$", done.stderr, flags=re.MULTILINE)
    assert len(statuses) == examples.count("curl -s"), done.stderr
    assert all(s.startswith("2") for s in statuses), done.stderr
    assert (tmp_path / "fraud-score.json").stat().st_size > 1000

    # The CI step, as a pipeline would run it around a stage's command.
    token = (tmp_path / "ci-token").read_text()
    sha = "0" * 39 + "1"
    env |= {"TRACKER_CI_TOKEN": token, "GITHUB_SHA": sha}
    step = run_bash(stage_script, "train", "true", cwd=tmp_path, env=env)
    assert step.returncode == 0, step.stderr
    assert "warning" not in step.stderr
    assert CIStatus.objects.get(product__slug="fraud-score", sha=sha).state == "success"


def test_readme_first_hour_pages_exist_in_the_demo(django_db_reset_sequences, client):
    """Ids as a fresh `make run` database numbers them: sequences start at 1."""
    paths = re.findall(r"`(/[^`\s]*/)`", section("Your first hour"))
    assert len(paths) >= 15
    assert seed_demo()
    client.force_login(User.objects.get(username="alice"))
    for path in paths:
        assert client.get(path).status_code == 200, path
