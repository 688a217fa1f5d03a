"""One naming style for API views (issue #17): every view the URL conf routes under /api/v1/ is a class named `*Api`."""

from tests.security.routes import api_routes


def test_every_api_view_is_named_api():
    odd = []
    for route in api_routes():
        if not route.pattern.startswith("api/v1/"):
            continue  # the JSON 404 catch-all, the schema and the docs page are not ours to name
        view_class = getattr(route.view, "cls", None) or getattr(route.view, "view_class", None)
        name = view_class.__name__ if view_class else route.view.__name__
        if not name.endswith("Api"):
            odd.append(f"{route.pattern}: {name}")
    assert odd == []
