"""Pages of the admin lists: the page a request may open (``within_pages``), and pages of a list made of several
ordered queries one after another (``ChainedPagination``).

A list ordered by a computed group first (the membership list: never paid, then ended, then ending soon, each by
name) makes PostgreSQL sort every matching row to show one page: no index holds a ``CASE``. Each group alone is one
index range in name order, so the list is read as its groups, each counted, and a page takes its rows from the one or
two groups it spans (``LIMIT``/``OFFSET`` on each): the same rows in the same order, no sort of the table.
"""

from collections.abc import Sequence
from typing import Any

from flask import abort, redirect, request, url_for
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select
from sqlalchemy.orm import lazyload

from server.extensions import db


def within_pages(pagination: Pagination) -> Pagination:
    """``pagination`` if the ``page`` asked for exists; otherwise a redirect (raised) to the nearest page that does:
    past the end, the last (a link made before the list shrank must not show an empty list that says there is
    nothing); a ``page`` that is no page number, the first. The list's other arguments are kept."""
    asked = request.args.get("page")
    if asked is None:
        return pagination
    last = max(pagination.pages, 1)
    if asked == str(pagination.page) and pagination.page <= last:
        return pagination
    arguments = request.args.to_dict() | {"page": last if asked == str(pagination.page) else 1}
    if arguments["page"] == 1:
        del arguments["page"]
    abort(redirect(url_for(request.endpoint, **(request.view_args or {}), **arguments)))


class ChainedPagination(Pagination):
    """``db.paginate`` over ``groups`` (selects of one entity, each with its own ``ORDER BY``), shown in turn."""

    def __init__(self, groups: Sequence[Select], page: int, per_page: int) -> None:
        self._counts: list[int] | None = None
        super().__init__(page=page, per_page=per_page, error_out=False, groups=list(groups))

    def _group_counts(self) -> list[int]:
        if self._counts is None:
            self._counts = [
                db.session.scalar(
                    select(func.count()).select_from(group.options(lazyload("*")).order_by(None).subquery())
                )
                or 0
                for group in self._query_args["groups"]
            ]
        return self._counts

    def _query_items(self) -> list[Any]:
        offset, wanted, items = self._query_offset, self.per_page, []
        for group, count in zip(self._query_args["groups"], self._group_counts(), strict=True):
            if wanted == 0:
                break
            if offset >= count:
                offset -= count
                continue
            rows = db.session.execute(group.limit(wanted).offset(offset)).unique().scalars().all()
            items.extend(rows)
            wanted -= len(rows)
            offset = 0
        return items

    def _query_count(self) -> int:
        return sum(self._group_counts())
