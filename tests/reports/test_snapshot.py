"""The portfolio report reads all its figures from one snapshot: on PostgreSQL,
outside a caller's transaction, one REPEATABLE READ, READ ONLY transaction on
the request's connection, in as many statements at any number of products."""

import threading

import pytest
from django.db import connection

from tests.factories import IncidentFactory, ProductFactory, staff_reader
from tests.reports.test_portfolio import NOW, report
from tracker.lib.periods import period_get
from tracker.products.models import Product
from tracker.reports.selectors.portfolio import portfolio_report

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _statements(read):
    """What `read()` returns, and the statements it sent."""
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        return read(), statements


def _commit_on_another_connection(product: Product) -> None:
    """An incident written and committed by another connection (another request
    or worker), while this one is reading."""

    def write():
        try:
            IncidentFactory(product=product)
        finally:
            connection.close()  # this thread's own

    writer = threading.Thread(target=write)
    writer.start()
    writer.join()


def _incidents() -> int:
    rows = portfolio_report(
        filters={}, period=period_get(None), user=staff_reader()
    ).rows
    return sum(row.incident_count for row in rows)


def test_a_row_committed_mid_report_is_not_seen():
    product = ProductFactory()
    seen = []

    def commit_after_the_products_query(execute, sql, params, many, context):
        seen.append(sql)
        if len(seen) == 3:  # the isolation statement, the products, then this
            _commit_on_another_connection(product)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(commit_after_the_products_query):
        assert _incidents() == 0
    assert len(seen) > 3
    assert not connection.in_atomic_block
    assert _incidents() == 1  # the next report sees it


def test_one_read_only_transaction_in_a_fixed_number_of_statements():
    from tracker.demo.scale.portfolio import seed_scale

    def read() -> tuple:
        portfolio = report()
        return [row.figures for row in portfolio.rows], portfolio.closure_by_month

    seed_scale(3, now=NOW)
    (figures, _), small = _statements(read)
    assert "REPEATABLE READ, READ ONLY" in small[0]
    assert len(figures) == 3
    assert sum(f["incidents"] for f in figures) > 0
    assert sum(f["business_kpis"] for f in figures) > 0

    seed_scale(6, now=NOW)
    (figures, _), large = _statements(read)
    assert len(figures) == 9
    assert len(large) == len(small)
