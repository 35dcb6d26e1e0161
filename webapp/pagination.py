"""One way to page through long lists: ``?page=N``, a fixed page size, no surprises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import Flask, request, url_for
from sqlalchemy import Select, func, select

from webapp.extensions import db

T = TypeVar("T")
PAGE_SIZE = 25


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def requested_page() -> int:
    """The page asked for in ``?page=``; anything that is not a positive number is page 1."""
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


def paginate(statement: Select[Any], number: int | None = None, size: int = PAGE_SIZE) -> Page[Any]:
    number = number or requested_page()
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    items = list(db.session.scalars(statement.limit(size).offset((number - 1) * size)))
    return Page(items=items, number=number, size=size, total=int(total or 0))


def paginate_list(items: list[T], number: int | None = None, size: int = PAGE_SIZE) -> Page[T]:
    """The same for a list already in memory; a page past the end shows the last one."""
    number = number or requested_page()
    pages = max(1, -(-len(items) // size))
    number = min(number, pages)
    return Page(items=items[(number - 1) * size:number * size], number=number, size=size,
                total=len(items))


def page_url(number: int) -> str:
    """This page's address with ``page=number``, keeping the other query arguments."""
    arguments: dict[str, Any] = dict(request.view_args or {})
    arguments.update(request.args.to_dict())
    arguments["page"] = number
    return url_for(str(request.endpoint), **arguments)


def init_pagination(app: Flask) -> None:
    app.jinja_env.globals["page_url"] = page_url
