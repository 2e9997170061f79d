"""Database lookups the apps share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Lookup


def id_array(values: Iterable[int]) -> str:
    """Integer ids as one PostgreSQL array literal, for ``= ANY(%s::bigint[])``. psycopg adapts a Python list
    element by element to choose the array's type (about a millisecond per thousand ids, paid by every query of a
    re-score chunk); a string goes as it is."""
    return "{" + ",".join([str(int(v)) for v in values]) + "}"


class AnyOf(Lookup):
    """``column = ANY(%s)`` with the ids as one array parameter on PostgreSQL (``IN (...)`` elsewhere): a
    thousand separate placeholders cost more to build and parse than the query takes to run."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [int(v) for v in self.rhs]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, id_array(values)]
        if not values:
            return "1 = 0", list(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]
