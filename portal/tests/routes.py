"""Every URL the resolver knows, for the standing tests that must cover each route."""

import re

from django.urls import URLPattern, URLResolver, get_resolver

_PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


def routes():
    """``(route, name, view)`` for every URL pattern, e.g. ``("room/<id:room_id>/token", ...)``."""
    found = []

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                found.append((prefix + str(p.pattern), p.name, p.callback))

    walk(get_resolver().url_patterns, "")
    return found


def api_routes():
    """The REST API's routes (DRF views), not the pages, the admin or the schema."""
    out = []
    for route, name, view in routes():
        cls = getattr(view, "cls", None)
        if cls is None or route.startswith(("admin/", "api/schema", "api/docs")):
            continue
        out.append((route, name, cls))
    return out


def methods(cls) -> list[str]:
    return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)]


def fill(route: str, **values) -> str:
    """The route with its parameters replaced (``values`` by name, else ``x``)."""
    return "/" + _PARAM.sub(lambda m: str(values.get(m.group("name"), "x")), route)
