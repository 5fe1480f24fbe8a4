"""Project-level checks: settings from the environment, deploy checks, compose file."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 20
    + "-production-like-secret-key-with-enough-entropy-0123456789",
    "ALLOWED_HOSTS": "tracker.example.org",
    "DATABASE_URL": "postgres://tracker:secret@db.example.org:5432/tracker",
    "REDIS_URL": "redis://redis.example.org:6379/0",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # A clean environment: nothing other tests set in this process (such as the
    # browser tests' DJANGO_ALLOW_ASYNC_UNSAFE) leaks into the checks.
    keep = ("PATH", "HOME", "LANG", "TZ", "VIRTUAL_ENV")
    base = {k: os.environ[k] for k in keep if k in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


_HEADERS_SCRIPT = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
# Static files are not collected here; the manifest storage would refuse.
plain_storage = "django.contrib.staticfiles.storage.StaticFilesStorage"
override_settings(
    STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": plain_storage}}
).enable()
client = Client(HTTP_HOST="tracker.example.org")
page = client.get("/accounts/login/", secure=True)
cookie = page.cookies[settings.CSRF_COOKIE_NAME]
print(json.dumps({
    "plain": [client.get("/accounts/login/").status_code,
              client.get("/accounts/login/")["Location"]],
    "headers": dict(page.headers),
    "csrf_cookie": [cookie.key, cookie["secure"], cookie["httponly"],
                    cookie["samesite"], cookie["path"], cookie["domain"]],
    "session": [settings.SESSION_COOKIE_NAME, settings.SESSION_COOKIE_SECURE,
                settings.SESSION_COOKIE_HTTPONLY, settings.SESSION_COOKIE_SAMESITE,
                settings.SESSION_COOKIE_AGE, settings.SESSION_IDLE_TIMEOUT],
}))
"""


def test_production_pages_carry_the_security_headers_and_cookie_flags():
    keep = ("PATH", "HOME", "LANG", "TZ", "VIRTUAL_ENV")
    base = {k: os.environ[k] for k in keep if k in os.environ}
    env = {**base, **PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "tracker.settings"}
    result = subprocess.run(
        [sys.executable, "-c", _HEADERS_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["plain"] == [301, "https://tracker.example.org/accounts/login/"]
    headers = seen["headers"]
    assert headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "script-src 'self';" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert seen["csrf_cookie"] == ["__Host-csrftoken", True, True, "Lax", "/", ""]
    assert seen["session"] == ["__Host-sessionid", True, True, "Lax", 43200, 1800]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "false", "SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        (
            {"DEBUG": "true", "DATABASE_URL": "mysql://x@y/z"},
            "DATABASE_URL must be a URL",
        ),
        ({"DEBUG": "true", "REDIS_URL": "localhost:6379"}, "REDIS_URL must be a URL"),
        (
            {"DEBUG": "true", "EMAIL_PORT": "smtp"},
            "EMAIL_PORT='smtp' is not a whole number",
        ),
    ],
)
def test_malformed_settings_fail_fast_with_a_clear_message(env, message):
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert message in result.stderr


def test_settings_default_to_sqlite_and_eager_celery():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER)"
    )
    base = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "tracker.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True"], (
        result.stderr
    )


def test_docker_compose_matches_the_compose_schema():
    result = subprocess.run(
        [
            Path(sys.executable).parent / "check-jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            "docker-compose.yml",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_docker_compose_runs_every_service_on_the_same_settings():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://redis:")
    assert "gunicorn" in services["web"]["command"]
    assert services["worker"]["command"][:3] == ["celery", "-A", "tracker"]
    assert "beat" in services["beat"]["command"]


def test_healthz_answers_without_login(client, db):
    response = client.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok")


def test_healthz_reports_an_unreachable_database(client, db):
    from unittest import mock

    from django.db import DatabaseError, connection

    with mock.patch.object(connection, "ensure_connection", side_effect=DatabaseError):
        response = client.get("/healthz")
    assert response.status_code == 503


@pytest.mark.parametrize(
    "path",
    [
        "/incidents/new/?product=%00",
        "/products/?q=a%00b",
        "/reports/portfolio/?team=%00",
    ],
)
def test_nul_in_a_query_string_is_a_400_not_a_server_error(alice_client, path):
    response = alice_client.get(path)
    assert response.status_code == 400
    assert b"NUL" in response.content


def _cache_backend(**env: str) -> str:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "c = s.CACHES['default']; print(c['BACKEND'], c.get('LOCATION', '-'))"
    )
    base = {k: v for k, v in os.environ.items() if k != "CACHE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **base,
            "DEBUG": "true",
            "DJANGO_SETTINGS_MODULE": "tracker.settings",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout.strip() or result.stderr


def test_rate_limits_count_per_process_unless_cache_url_names_a_redis():
    assert _cache_backend().startswith("django.core.cache.backends.locmem")
    assert _cache_backend(CACHE_URL="redis://cache.example.org:6379/1") == (
        "django.core.cache.backends.redis.RedisCache redis://cache.example.org:6379/1"
    )
    assert "CACHE_URL must be a URL" in _cache_backend(CACHE_URL="memcached://x")
