"""Pausing Python's cyclic garbage collector around work that builds a large
graph of objects, all alive until the work ends: the portfolio report (1,000
products make some 40,000 model instances, rows and dicts) and its PDF
(WeasyPrint's boxes). The collector's passes over them find nothing to free
and took a tenth of the report's CPU time and of the PDF's
(benchmarks/report_render.py). Reference counting still frees everything as
usual; the collector resumes when the work ends, whatever happens.

tracker/wsgi.py freezes what is loaded at start-up for the same reason.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Usable as `with collector_paused():` or as a decorator. Nests: only the
    outermost pause resumes the collector, and only if it was running."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
