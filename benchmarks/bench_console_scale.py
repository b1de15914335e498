"""The operators' console at 100,000 petitions, beside a 1,000-petition baseline measured in the same run.

For each database (SQLite in a temporary folder; PostgreSQL at DANVAN_TEST_POSTGRES_URL in a schema of its own,
dropped afterwards) and each size, it seeds petitions spread over a year (15 % still open), then times through the
real web app, signed in: the queue's first and a deep page (an admin, and an operator of one agency), a petition
page, the overview (an admin's, and an operator's), and the CSV export of every petition. It prints p50/p95 per
measure and the ratio to the baseline; queue and petition pages and the overview should stay at p95 <= 100 ms (exits 1
when one does not), the export linear.
After seeding, both databases get their planner statistics (and PostgreSQL its visibility map: VACUUM ANALYZE), as a
database in service has them. Timings include the in-process HTTP client; run it on an idle machine (the load
average is printed, since two busy cores can triple every figure).

Run: .venv/bin/python benchmarks/bench_console_scale.py [--size 100000] [--rounds 30] [--only sqlite|postgresql]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from petitions.models import Petition  # noqa: E402
from tests.fixtures_console import ConsoleEnv, build_console_env  # noqa: E402
from tests.test_console_scale import SeedPlan, seed_petitions  # noqa: E402

PAGE_BUDGET_MS = 100.0
BASELINE = 1000
PG_URL = os.environ.get("DANVAN_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
SCHEMA = "bench_console_scale"
OPERATOR_AGENCY = "so-xay-dung"


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


@contextmanager
def sqlite_url(tmp: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp / 'bench.db'}"


@contextmanager
def postgres_url(tmp: Path) -> Iterator[str]:
    """A schema of its own in the test database (search_path set per connection), dropped afterwards."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {SCHEMA}")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{SCHEMA}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        admin.dispose()


def timed(call: Callable[[], object], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure(env: ConsoleEnv, rounds: int) -> dict[str, list[float]]:
    """Milliseconds per request, by measure."""
    admin, operator = env.client(), env.client()
    env.login(admin, "admin")
    env.login(operator, "op-a")
    with env.store.engine.connect() as conn:
        codes = list(conn.scalars(select(Petition.code).order_by(Petition.id.desc()).limit(200)))
    rng = random.Random(1)

    def get(client: TestClient, url: str) -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    def export() -> None:
        with admin.stream("GET", "/console/export.csv?status=tat-ca") as response:
            assert response.status_code == 200
            for _ in response.iter_bytes():
                pass

    for url in ("/console/", "/console/overview"):  # warm caches, compiled statements and the lazily built context
        get(admin, url)
    return {
        "queue, admin, page 1": timed(lambda: get(admin, "/console/"), rounds),
        "queue, admin, page 20": timed(lambda: get(admin, "/console/?page=20"), rounds),
        "queue, operator, page 1": timed(lambda: get(operator, "/console/"), rounds),
        "queue, all statuses, words": timed(lambda: get(admin, "/console/?status=tat-ca&q=den+duong"), rounds),
        "petition page": timed(lambda: get(admin, f"/console/p/{rng.choice(codes)}"), rounds),
        "overview": timed(lambda: get(admin, "/console/overview"), rounds),
        "overview, operator": timed(lambda: get(operator, "/console/overview"), rounds),
        "export, all petitions": timed(export, 2),
    }


def settle(env: ConsoleEnv) -> None:
    """Planner statistics and (PostgreSQL) the visibility map, as a database in service has them from autovacuum;
    right after a bulk insert PostgreSQL could not use index-only scans yet."""
    engine = env.store.engine
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def run_backend(name: str, url_of: Callable[[Path], object], sizes: list[int], rounds: int) -> dict[int, dict]:
    results: dict[int, dict] = {}
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            with url_of(tmp) as url:  # type: ignore[attr-defined]
                env = build_console_env(tmp / "env", database_url=url)
                try:
                    started = time.perf_counter()
                    seed_petitions(env.store.engine, SeedPlan(size, datetime.now(UTC)))
                    settle(env)
                    seeded = time.perf_counter() - started
                    env.add_user("admin", "admin", None)
                    env.add_user("op-a", "operator", OPERATOR_AGENCY)
                    print(f"[{name}] seeded {size:,} petitions in {seeded:.1f} s", flush=True)
                    results[size] = measure(env, rounds)
                finally:
                    env.store.close()
    return results


def report(name: str, results: dict[int, dict], size: int) -> bool:
    """Print the table; False when a page misses its budget."""
    ok = True
    base, big = results[BASELINE], results[size]
    print(f"\n{name}: {size:,} petitions vs {BASELINE:,} (ms; ratio of p95)")
    print(f"{'measure':32} {'p50@1k':>9} {'p95@1k':>9} {'p50@big':>9} {'p95@big':>9} {'ratio':>7}")
    for measure_name, samples in big.items():
        b50, b95 = percentiles(base[measure_name])
        p50, p95 = percentiles(samples)
        flag = ""
        if (measure_name.startswith(("queue, admin", "queue, operator", "overview"))
                or measure_name == "petition page") and p95 > PAGE_BUDGET_MS:
            ok, flag = False, "  over budget"
        print(f"{measure_name:32} {b50:9.1f} {b95:9.1f} {p50:9.1f} {p95:9.1f} {p95 / b95:7.1f}{flag}")
    per_base = percentiles(base["export, all petitions"])[0] / BASELINE * 1000
    per_big = percentiles(big["export, all petitions"])[0] / size * 1000
    print(f"export per 1,000 rows: {per_base:.1f} ms at {BASELINE:,}, {per_big:.1f} ms at {size:,}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    backends: list[tuple[str, Callable]] = [("sqlite", sqlite_url), ("postgresql", postgres_url)]
    print(f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    ok = True
    for name, url_of in backends:
        if args.only and name != args.only:
            continue
        try:
            results = run_backend(name, url_of, [BASELINE, args.size], args.rounds)
        except OperationalError as exc:
            print(f"[{name}] skipped: not reachable ({type(exc).__name__})")
            continue
        ok = report(name, results, args.size) and ok
    print(f"load average after the run: {os.getloadavg()[0]:.1f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
