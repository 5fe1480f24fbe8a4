"""Export and import of a whole instance as JSON, timed, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_porting_bench \\
        .venv/bin/python benchmarks/export_import.py [--sizes 100 1000] [--keep]

DATABASE_URL names a scratch database that the script creates (it refuses one
that exists), migrates and drops at the end (--keep leaves it). At each size it
fills the database with `seed_demo --scale N` (tracker.demo.scale), then:

- exports the instance (tracker.porting.selectors.export_instance, streamed to a
  temporary file) and prints the time, the size, the queries and the largest
  resident memory of the process so far;
- empties the database (manage.py flush) and imports the file
  (tracker.porting.services.data_import): the time to parse the JSON, to check
  the document, and the whole import, with its queries;
- exports again and says whether the document is the same (it must be).
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.report_render import (  # noqa: E402
    ENV,
    Counter,
    create_database,
    drop_database,
    scratch_url,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100])
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


def timed(call):
    from django.db import connection

    counter = Counter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = call()
        seconds = time.perf_counter() - started
    return result, seconds, counter.queries


def export_to(path: Path) -> None:
    from tracker.porting.selectors import export_instance

    with path.open("w", encoding="utf-8") as file:
        for piece in export_instance():
            file.write(piece)


def same_document(first: Path, second: Path) -> bool:
    documents = [json.loads(path.read_text()) for path in (first, second)]
    for document in documents:
        document.pop("exported_at")
    return documents[0] == documents[1]


def run(size: int, folder: Path) -> dict:
    from django.core.management import call_command

    from tracker.demo.scale.portfolio import seed_scale
    from tracker.porting.reader import document_read
    from tracker.porting.services import data_import

    call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    made = seed_scale(size)
    print(f"seeded {size} products in {time.perf_counter() - started:.1f} s: {made}")
    first, second = folder / f"{size}-a.json", folder / f"{size}-b.json"
    _, export_s, export_q = timed(lambda: export_to(first))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    document = json.loads(first.read_text())
    parse_s = time.perf_counter() - started
    _, check_s, _ = timed(lambda: document_read(document))
    summary, import_s, import_q = timed(lambda: data_import(document=document))
    export_to(second)
    return {
        "size": size,
        "rows": sum(summary.created.values()),
        "bytes": first.stat().st_size,
        "export_s": export_s,
        "export_q": export_q,
        "rss_mib": rss,
        "parse_s": parse_s,
        "check_s": check_s,
        "import_s": import_s,
        "import_q": import_q,
        "same": same_document(first, second),
    }


def report(results: list[dict], load: tuple) -> None:
    print(
        f"\nPostgreSQL, in-process, DEBUG off. Load average before: {load[0]:.2f} "
        f"{load[1]:.2f} {load[2]:.2f}; after: "
        "{:.2f} {:.2f} {:.2f}\n".format(*os.getloadavg())
    )
    print(
        f"{'products':>8}{'rows':>9}{'MiB':>7}{'export s':>10}{'queries':>9}"
        f"{'max RSS MiB':>13}{'parse s':>9}{'check s':>9}{'import s':>10}"
        f"{'queries':>9}  round trip"
    )
    for r in results:
        print(
            f"{r['size']:>8}{r['rows']:>9,}{r['bytes'] / 2**20:>7.1f}"
            f"{r['export_s']:>10.2f}{r['export_q']:>9}{r['rss_mib']:>13.0f}"
            f"{r['parse_s']:>9.2f}{r['check_s']:>9.2f}{r['import_s']:>10.2f}"
            f"{r['import_q']:>9}  {'identical' if r['same'] else 'DIFFERENT'}"
        )
    print("\n(import s includes check s: the import checks the document first.)")


def main() -> None:
    args = parse_args()
    url = scratch_url("tracker_porting_bench")
    os.environ.update(ENV)
    warnings.filterwarnings("ignore", message="No directory at")
    load = os.getloadavg()
    create_database(url)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        with tempfile.TemporaryDirectory() as folder:
            results = [run(size, Path(folder)) for size in sorted(args.sizes)]
    finally:
        if not args.keep:
            drop_database(url)
    report(results, load)


if __name__ == "__main__":
    main()
