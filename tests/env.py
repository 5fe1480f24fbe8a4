"""Loaded by pytest before Django (see `-p tests.env` in pyproject.toml): local
defaults so a bare `pytest` works. Explicit environment variables win, so CI's
DATABASE_URL and REDIS_URL are used as given."""

import os

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault(
    "SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789"
)
