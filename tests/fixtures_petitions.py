"""Fixtures of the petitions tests: stores on SQLite and PostgreSQL, the data files, a trained router."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "petitions" / "data"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def petitions_data_dir() -> Path:
    return DATA_DIR


@pytest.fixture(scope="session")
def communes():
    from petitions.communes import CommuneDirectory

    return CommuneDirectory.load(DATA_DIR / "communes.yml")


@pytest.fixture(scope="session")
def deadlines():
    from petitions.deadlines import DeadlinePolicy

    return DeadlinePolicy.load(DATA_DIR / "deadlines.yml")


@pytest.fixture(scope="session")
def petition_router(encoder):
    """The router trained from the shipped table; the fit is cached under var/cache like the app's."""
    from petitions.router import Router

    return Router.load(DATA_DIR / "agencies.yml", encoder, cache_dir=REPO_ROOT / "var" / "cache")


def _postgres_schema_url() -> Iterator[str]:
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        admin = psycopg2.connect(POSTGRES_URL, connect_timeout=3)
    except psycopg2.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {str(exc).strip()}")
    admin.autocommit = True
    schema = f"petitions_test_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh empty database on each backend: a SQLite file, or a private PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'petitions.db'}"
    else:
        yield from _postgres_schema_url()


@pytest.fixture
def store(store_url: str):
    from petitions.store import PetitionStore

    s = PetitionStore(store_url)
    s.migrate()
    try:
        yield s
    finally:
        s.close()
