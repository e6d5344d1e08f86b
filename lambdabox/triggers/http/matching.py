"""Choosing the route of a request as API Gateway does.

A route matches when every segment does: a literal segment exactly, `{name}` any one
segment, a final `{name+}` one or more segments. Among the matches, the most specific wins,
segment by segment (literal before `{name}` before `{name+}`), then a route with the
request's method before `ANY`; `$default` takes what no route matches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lambdabox.triggers.http.model import DEFAULT_ROUTE, METHODS, Route

_LITERAL, _PARAM, _GREEDY = 0, 1, 2


@dataclass(frozen=True)
class Match:
    """The route a request goes to, with its path parameters (as sent, percent-encoded)."""

    route: Route
    path_parameters: dict[str, str]


class _Compiled:
    __slots__ = ("kinds", "names", "rank", "route", "segments")

    def __init__(self, route: Route) -> None:
        self.route = route
        self.segments = route.path.strip("/").split("/") if route.path.strip("/") else []
        self.kinds: list[int] = []
        self.names: list[str] = []
        for segment in self.segments:
            if segment.startswith("{") and segment.endswith("+}"):
                self.kinds.append(_GREEDY)
                self.names.append(segment[1:-2])
            elif segment.startswith("{") and segment.endswith("}"):
                self.kinds.append(_PARAM)
                self.names.append(segment[1:-1])
            else:
                self.kinds.append(_LITERAL)
                self.names.append(segment)
        self.rank = (*self.kinds, 1 if route.method == "ANY" else 0)

    def match(self, parts: list[str]) -> dict[str, str] | None:
        params: dict[str, str] = {}
        kinds = self.kinds
        for i, kind in enumerate(kinds):
            if kind == _GREEDY:
                if i >= len(parts):
                    return None
                params[self.names[i]] = "/".join(parts[i:])
                return params
            if i >= len(parts):
                return None
            if kind == _LITERAL:
                if parts[i] != self.names[i]:
                    return None
            elif not parts[i]:
                return None
            else:
                params[self.names[i]] = parts[i]
        return params if len(parts) == len(kinds) else None


class RouteTable:
    """The routes served on one port."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = list(routes)
        self._compiled = [_Compiled(r) for r in self.routes if r.path != DEFAULT_ROUTE]
        self._default = next((r for r in self.routes if r.path == DEFAULT_ROUTE), None)

    def match(self, method: str, raw_path: str) -> Match | None:
        """The route for `method raw_path`, or None (the API's "not found" answer)."""
        parts = _parts(raw_path)
        best: _Compiled | None = None
        best_params: dict[str, str] = {}
        for compiled in self._compiled:
            if compiled.route.method not in (method, "ANY"):
                continue
            params = compiled.match(parts)
            if params is not None and (best is None or compiled.rank < best.rank):
                best, best_params = compiled, params
        if best is not None:
            return Match(best.route, best_params)
        if self._default is not None:
            return Match(self._default, {})
        return None

    def methods(self, raw_path: str) -> set[str]:
        """The methods some route serves on `raw_path` (ANY expanded), for CORS preflights."""
        parts = _parts(raw_path)
        found: set[str] = set()
        for compiled in self._compiled:
            if compiled.match(parts) is not None:
                found.update(
                    METHODS if compiled.route.method == "ANY" else (compiled.route.method,)
                )
        return found

    def route_on(self, raw_path: str) -> Route | None:
        """Some route whose path matches `raw_path`, whatever its method (REST 403 vs CORS)."""
        parts = _parts(raw_path)
        return next((c.route for c in self._compiled if c.match(parts) is not None), None)


def _parts(raw_path: str) -> list[str]:
    stripped = raw_path.strip("/")
    return stripped.split("/") if stripped else []
