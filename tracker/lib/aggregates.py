"""SQL helpers for figures computed in the database: elapsed seconds between two
datetimes, the median, and filters by many ids or by a subquery's, on
PostgreSQL and on SQLite alike."""

from collections.abc import Iterable
from statistics import median, variance

from django.db.models import Aggregate, F, FloatField, Func, Lookup, QuerySet, Subquery


class _InIds(Lookup):
    lookup_name = "in_ids"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        marks = ", ".join(["%s"] * len(self.rhs))
        return f"{lhs} IN ({marks})", [*params, *self.rhs]

    def as_postgresql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        # One text parameter, '{1,2,3}': psycopg takes five times as long to
        # adapt a list of 1,000 ints (the portfolio report sends one per query).
        array = "{" + ",".join(str(int(pk)) for pk in self.rhs) + "}"
        return f"{lhs} = ANY(%s::bigint[])", [*params, array]


def in_ids(field: str, ids: Iterable[int]) -> Lookup:
    """A filter, `.filter(in_ids("product_id", ids))`: the column is one of `ids`.

    `field__in=ids` binds one parameter per id: with the 1,000 products of a
    portfolio report, Django resolving them and PostgreSQL parsing them cost
    about 5 ms per query. On PostgreSQL the ids go as one array parameter, with
    the same plan (PostgreSQL turns an IN list into `= ANY(array)` itself).
    """
    return _InIds(F(field), list(ids))


class _InSubquery(Lookup):
    lookup_name = "in_subquery"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)
        return f"{lhs} IN {rhs}", (*lhs_params, *rhs_params)

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


def in_subquery(field: str, queryset: QuerySet) -> Lookup:
    """A filter, `.filter(in_subquery("postmortem_id", ids))`: the column is one
    of the values `queryset` (one column) selects.

    On PostgreSQL `= ANY(ARRAY(SELECT …))`, not `IN (SELECT …)`: the subquery
    runs once, first, and the rows are then found by the column's index, even
    in an OR of two such filters (a BitmapOr); with IN the planner may instead
    test every row of the table against the subquery (a product page's few
    action items among every open one, a search's window among every readable
    incident). The same as IN elsewhere.
    """
    return _InSubquery(F(field), Subquery(queryset))


class Seconds(Func):
    """Seconds from `start` to `end` (two datetime columns), as a float."""

    output_field = FloatField()
    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    arg_joiner = " - "

    def __init__(self, end: str, start: str, **extra):
        super().__init__(F(end), F(start), **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )


class _SqliteSpelt(Aggregate):
    """An aggregate SQLite lacks: there it is spelt `sqlite_name`, an aggregate
    register_sqlite_functions gives it in Python."""

    output_field = FloatField()
    sqlite_name: str

    def as_sqlite(self, compiler, connection, **extra):
        # Aggregate.as_sql wraps `self.template` in a FILTER clause itself, so the
        # SQLite spelling goes on a copy rather than through a template argument.
        clone = self.copy()
        clone.template = f"{self.sqlite_name}(%(expressions)s)"
        return super(_SqliteSpelt, clone).as_sql(compiler, connection, **extra)


class Median(_SqliteSpelt):
    """The median of a numeric expression (NULLs ignored)."""

    template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_filter = True
    sqlite_name = "tracker_median"


class SampleVariance(_SqliteSpelt):
    """The sample variance of a numeric expression, as PostgreSQL's VAR_SAMP
    computes it: NULLs ignored, NULL for fewer than two values. (Django's
    Variance on SQLite raises there instead, failing the whole query.)"""

    function = "VAR_SAMP"
    sqlite_name = "tracker_var_samp"


class _SqliteValues:
    """An SQLite aggregate over a group's values, NULLs left out."""

    def __init__(self):
        self.values = []

    def step(self, value):
        if value is not None:
            self.values.append(value)


class _SqliteMedian(_SqliteValues):
    def finalize(self):
        return median(self.values) if self.values else None


class _SqliteSampleVariance(_SqliteValues):
    def finalize(self):
        return variance(self.values) if len(self.values) >= 2 else None


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """connection_created hook: SQLite has no median and no sample variance
    that tolerates a group of one; give it both."""
    if connection.vendor == "sqlite":
        for aggregate, in_python in (
            (Median, _SqliteMedian),
            (SampleVariance, _SqliteSampleVariance),
        ):
            connection.connection.create_aggregate(aggregate.sqlite_name, 1, in_python)
