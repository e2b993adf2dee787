"""Finding the route of a request quickly, with the route table's own answer.

:meth:`ugsdk.routes.RouteTable.resolve` tries every route in table order. The sandbox
answers every request (and the server looks up each one's route for its faults), so it
keeps an index: only the routes that could match (same method, same number of path
segments, same last segment when that is fixed text) are tried, still in table order, each
with the table's own :meth:`~ugsdk.routes.Route.match`. The answer is the one ``resolve``
gives.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple
from urllib.parse import urlsplit

from ..routes import Route, RouteTable

__all__ = ["RouteIndex", "path_of"]

Found = Tuple[Route, Dict[str, str]]


# Characters that make a URL one of the shapes path_of leaves to urlsplit.
_RARE = re.compile(r"[\t\r\n?#\[]").search


def path_of(url: str) -> str:
    """The path part of an absolute URL (what ``urlsplit(url).path`` gives).

    The common ``http(s)://host/path`` shape is cut by hand; anything else goes through
    :func:`urllib.parse.urlsplit`.
    """
    if url.startswith("https://"):
        rest = url[8:]
    elif url.startswith("http://"):
        rest = url[7:]
    else:
        return urlsplit(url).path
    if _RARE(rest) is not None:
        return urlsplit(url).path  # the rare shapes: leave them to the standard library
    slash = rest.find("/")
    return rest[slash:] if slash >= 0 else ""


_INDEXES: Dict[int, "RouteIndex"] = {}


class RouteIndex:
    """The routes of one table, grouped by what a path must share with them to match.

    Args:
        routes: the route table.
    """

    def __init__(self, routes: RouteTable) -> None:
        self.routes = routes
        self._base = routes.base_path
        # (METHOD, slashes) -> routes whose last segment is a placeholder (or mixed text),
        # and (METHOD, slashes, last segment) -> routes ending in that fixed segment merged
        # with the former, in table order.
        self._open: Dict[Tuple[str, int], List[Route]] = {}
        self._fixed: Dict[Tuple[str, int, str], List[Route]] = {}
        ordered = list(routes)
        for route in ordered:
            key = (route.method, route.template.count("/"))
            last = route.template.rsplit("/", 1)[-1]
            if "{" in last:
                self._open.setdefault(key, []).append(route)
            else:
                self._fixed.setdefault((*key, last), []).append(route)
        position = {id(route): i for i, route in enumerate(ordered)}
        for (method, slashes, last), fixed in self._fixed.items():
            merged = fixed + self._open.get((method, slashes), [])
            merged.sort(key=lambda route: position[id(route)])
            self._fixed[(method, slashes, last)] = merged

    @classmethod
    def of(cls, routes: RouteTable) -> "RouteIndex":
        """The index of ``routes``, built once per table (tables are immutable)."""
        key = id(routes)
        index = _INDEXES.get(key)
        if index is None or index.routes is not routes:
            index = _INDEXES[key] = cls(routes)
        return index

    def resolve(self, method: str, path: str) -> Optional[Found]:
        """The route and placeholder values of ``method`` and an absolute URL path, or ``None``.

        The same answer as :meth:`RouteTable.resolve`.
        """
        if not path.startswith(self._base) or "\n" in path:
            # A newline can satisfy a pattern's end anchor: leave that to the table itself.
            return self.routes.resolve(method, path)
        rest = path[len(self._base):] or "/"
        upper = method.upper()
        slashes = rest.count("/")
        candidates = self._fixed.get((upper, slashes, rest.rsplit("/", 1)[-1]))
        if candidates is None:
            candidates = self._open.get((upper, slashes))
            if candidates is None:
                return None
        for route in candidates:
            found = route.match(upper, rest)
            if found is not None:
                return route, found
        return None

    def allowed(self, method: str, path: str) -> List[str]:
        """The other methods (of GET and POST) that have a route at ``path``."""
        upper = method.upper()
        return [other for other in ("GET", "POST") if other != upper and self.resolve(other, path) is not None]
