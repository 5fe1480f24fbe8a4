"""Counting a list's rows only so far, for the HTML lists (tracker.lib.views
.paginate) and the API's (tracker.lib.api_policies.Pagination).

A page-number paginator counts every row of the list to say how many pages
there are: for the lists of a whole organisation (every action item, incident
or postmortem the reader may read) that count grows with the organisation
(tens of milliseconds at 50,000 action items) while the page's rows do not.
These count up to COUNT_AHEAD rows past the start of the page asked for, plus
one to know the list goes on: exact for lists shorter than that, "more than"
beyond, and the pages further on appear as one pages forward.
"""

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

COUNT_AHEAD = 1000
# Beyond this page number the count is exact (and the database's LIMIT safe).
MAX_PAGE = 10**6


class CappedPaginator(Paginator):
    """Counts at most `limit` rows (plus one); `capped` says there are more.
    `limit=None` counts them all. A list read lazily from the database (such as
    the follow-up policies' Violations) counts so far with its `count_upto`."""

    def __init__(self, object_list, per_page: int, *, limit: int | None) -> None:
        super().__init__(object_list, per_page)
        self.limit = limit

    @cached_property
    def count(self) -> int:
        if hasattr(self.object_list, "count_upto"):  # a lazy list's own count
            return self.object_list.count_upto(self.limit)
        if not isinstance(self.object_list, QuerySet):
            return len(self.object_list)
        # Ids, unordered: any `limit` rows count the same, without sorting them
        # all or computing what a row shows.
        ids = self.object_list.order_by().values("pk")
        return (ids if self.limit is None else ids[: self.limit + 1]).count()

    @property
    def capped(self) -> bool:
        return self.limit is not None and self.count > self.limit


def count_limit(number, per_page: int) -> int:
    """How far to count for page `number` (as given in the URL: junk counts
    from the first page)."""
    try:
        start = (min(max(int(number), 1), MAX_PAGE) - 1) * per_page
    except (TypeError, ValueError):
        start = 0
    return start + COUNT_AHEAD
