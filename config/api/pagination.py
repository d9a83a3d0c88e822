"""Cursor pagination for every API list: stable while new rows arrive, and a page costs the same
whatever its depth. Views set `ordering` to a unique column sequence (ending with the pk)."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from rest_framework import exceptions, pagination


class CursorPagination(pagination.CursorPagination):
    page_size_query_param = "page_size"
    ordering = ("-pk",)

    @property
    def max_page_size(self) -> int:  # type: ignore[override]
        return settings.API_MAX_PAGE_SIZE

    def decode_cursor(self, request):
        # A cursor the client made up is bad input (400 on the parameter), not a missing page.
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise self._invalid_cursor() from None

    def _invalid_cursor(self) -> exceptions.ValidationError:
        return exceptions.ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})


def cursor_pagination(*fields: str) -> type[CursorPagination]:
    """A pagination class ordered by ``fields`` (the last one must be unique)."""
    return type("OrderedCursorPagination", (CursorPagination,), {"ordering": fields})


class KeysetCursorPagination(CursorPagination):
    """Cursor pagination whose position is the whole ordering tuple, not its first field.

    DRF's cursor keeps the first field's value and an offset among the rows that share it
    (capped at ``offset_cutoff``), which suits nearly-unique columns. Rankings (a review
    item's score, an idea's supports) have many ties, so this class compares every ordering
    field — rows whose ``(f1, f2, ..., pk)`` come after the cursor's values — and its offset
    is always 0. Fields must be non-null columns or annotations of the queryset, the last one
    unique; a boolean is kept as 1 or 0. A malformed cursor is a 400."""

    def _get_position_from_instance(self, instance, ordering):
        values = []
        for order in ordering:
            name = order.lstrip("-")
            value = instance[name] if isinstance(instance, dict) else getattr(instance, name)
            if isinstance(value, bool):  # a flag ("pinned first"): 1 or 0 in the cursor
                value = int(value)
            values.append(value.isoformat() if hasattr(value, "isoformat") else value)
        return json.dumps(values, separators=(",", ":"))

    def _after(self, queryset, position: str, reverse: bool):
        """Rows after ``position`` in the ordering (before it when ``reverse``)."""
        try:
            values = json.loads(position)
            if not isinstance(values, list) or len(values) != len(self.ordering):
                raise ValueError("the position does not match the ordering")
            condition, equal = Q(), Q()
            for order, value in zip(self.ordering, values, strict=True):
                if isinstance(value, bool) or not isinstance(value, str | int | float):
                    raise ValueError("not a position value")
                name = order.lstrip("-")
                lookup = "lt" if order.startswith("-") != reverse else "gt"
                condition |= equal & Q(**{f"{name}__{lookup}": value})
                equal &= Q(**{name: value})
            return queryset.filter(condition)
        except (ValueError, TypeError, OverflowError, DjangoValidationError):
            raise self._invalid_cursor() from None

    def paginate_queryset(self, queryset, request, view=None):
        # DRF's algorithm (rest_framework.pagination.CursorPagination.paginate_queryset) with
        # the position filter on the whole tuple; offsets are never needed.
        self.request = request
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return None
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.cursor = self.decode_cursor(request)
        if self.cursor is None:
            offset, reverse, current_position = 0, False, None
        else:
            offset, reverse, current_position = self.cursor
        if reverse:
            queryset = queryset.order_by(*pagination._reverse_ordering(self.ordering))
        else:
            queryset = queryset.order_by(*self.ordering)
        if current_position is not None:
            queryset = self._after(queryset, current_position, reverse)
        results = list(queryset[offset : offset + self.page_size + 1])
        self.page = list(results[: self.page_size])
        following = None
        if len(results) > len(self.page):
            following = self._get_position_from_instance(results[-1], self.ordering)
        if reverse:
            self.page = list(reversed(self.page))
            self.has_next = current_position is not None or offset > 0
            self.has_previous = following is not None
            self.next_position = current_position
            self.previous_position = following
        else:
            self.has_next = following is not None
            self.has_previous = current_position is not None or offset > 0
            self.next_position = following
            self.previous_position = current_position
        return self.page


def keyset_pagination(*fields: str) -> type[KeysetCursorPagination]:
    """A keyset pagination class ordered by ``fields`` (non-null; the last one unique)."""
    return type("KeysetOrderedPagination", (KeysetCursorPagination,), {"ordering": fields})


def page_body(*rows, next_url: str | None = None) -> dict:
    """The body of one page of a cursor-paginated list: the answer of a list that always fits
    in one page (``next`` and ``previous`` null), or a schema example."""
    return {"next": next_url, "previous": None, "results": list(rows)}
