"""Split a sequence into pages for the listing endpoints."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """One page of results."""

    items: list
    number: int
    total_pages: int
    total_items: int

    @property
    def has_next(self):
        return self.number < self.total_pages

    @property
    def has_previous(self):
        return self.number > 1


def paginate(items, page=1, per_page=10):
    """Return page `page` (1-based) of `items`, `per_page` items per page.

    A page number past the end gives the last page; an empty sequence has one empty page.
    Raises ValueError if page or per_page is less than 1.
    """
    if page < 1 or per_page < 1:
        raise ValueError("page and per_page must be at least 1")
    items = list(items)
    total_pages = max(1, len(items) // per_page)
    page = min(page, total_pages)
    start = (page - 1) * per_page
    return Page(items[start:start + per_page], page, total_pages, len(items))
