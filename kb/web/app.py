"""The ASGI application: access control and security headers around kb's pages."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import URL, Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from kb.web.views import LAZY_FACETS, SEARCH_BUDGET, STATIC_DIR, Views

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from kb.db import Database
    from kb.web.access import Access

# No inline script or style anywhere: htmx and kb.js are files under /static; the timeline's
# SVG uses presentation attributes. Nothing may frame the pages.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
SAFE_METHODS = {"GET", "HEAD"}

ASK_FOR_TOKEN = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kb: token needed</title>
<link rel="stylesheet" href="/static/kb.css"></head>
<body><main class="narrow"><h1>kb needs its token</h1>
<p>Open the address <code>kb serve</code> printed (it ends in <code>?token=...</code>),
or paste the token here (this page's address is kept).</p>
<form method="get"><label>Token <input name="token" type="password"
autocomplete="off" required></label> <button>Open</button></form></main></body></html>
"""


class Guard:
    """Pure ASGI middleware: security headers on every answer; the token or a session cookie
    before any page; no writes when read-only."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app, self.access = app, access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name for name, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        response = self.check(scope)
        if response is not None:
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def check(self, scope: Scope) -> Response | None:
        """A refusal or the token's redirect; None lets the request through."""
        request = Request(scope)
        if request.url.path.startswith("/static/"):
            return None  # vendored public files, needed by the page asking for the token
        token = request.query_params.get("token")
        if token is not None:
            if not self.access.token_ok(token):
                return HTMLResponse(ASK_FOR_TOKEN, status_code=401)
            # The first visit trades the token for a session cookie and drops it from the
            # address bar (and from the history and any Referer).
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            # One leading slash: `//host` would send the browser to another site.
            target = URL(path="/" + request.url.path.lstrip("/"), query=urlencode(rest))
            response: Response = RedirectResponse(str(target), status_code=303)
            response.set_cookie(self.access.cookie_name, self.access.new_session(),
                                httponly=True, samesite="strict", path="/")
            return response
        session_id = self.access.session_of(request.cookies.get(self.access.cookie_name))
        if session_id is None and not self._bearer_ok(Headers(scope=scope)):
            return HTMLResponse(ASK_FOR_TOKEN, status_code=401)
        scope.setdefault("state", {})["kb_session"] = session_id
        if self.access.read_only and request.method not in SAFE_METHODS:
            return PlainTextResponse("kb serve --read-only: this server refuses every change",
                                     status_code=403)
        return None

    def _bearer_ok(self, headers: Headers) -> bool:
        """Programs reading `?format=json` may send the token as `Authorization: Bearer`."""
        scheme, _, value = headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and self.access.token_ok(value.strip())


class IdConvertor(Convertor[int]):
    """An id in a path: ten digits at most (longer is no claim's: a 404, where int() of
    thousands of digits raised inside the router, a 500)."""

    regex = "[0-9]{1,10}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", IdConvertor())


def create_app(database: Database, access: Access, facet_budget: float = 0.02,
               lazy_facet_budget: float = LAZY_FACETS, keep_counts: bool = True,
               search_budget: float = SEARCH_BUDGET) -> Starlette:
    """The server for one database; `facet_budget` is the seconds a listing's facet counts may
    take before they show as "many", `lazy_facet_budget` those of the request that asks for
    them again after the page has loaded, `search_budget` those a search may take to rank
    every match before it lists the latest added first. `keep_counts=False` counts on every
    visit, as the first after a change does (bench/web.py times both)."""
    views = Views(database, access, facet_budget, lazy_facet_budget, keep_counts,
                  search_budget)
    routes: list[Any] = [
        Route("/", views.home),
        Route("/claims", views.claims),
        Route("/claims/facets", views.claim_facets),
        Route("/claims/new", views.claim_new, methods=["GET", "POST"]),
        Route("/claims/{claim_id:id}", views.claim),
        Route("/claims/{claim_id:id}/cite", views.claim_cite),
        Route("/claims/{claim_id:id}/history", views.claim_history),
        Route("/claims/{claim_id:id}/edit", views.claim_edit, methods=["GET", "POST"]),
        Route("/claims/{claim_id:id}/evidence/new", views.evidence_new,
              methods=["GET", "POST"]),
        Route("/search", views.search),
        Route("/sources", views.sources),
        Route("/sources/new", views.source_new, methods=["GET", "POST"]),
        Route("/sources/{key:path}/text", views.source_text),
        Route("/sources/{key:path}", views.source),
        Route("/countries", views.countries),
        Route("/countries/{code}/timeline", views.country_timeline),
        Route("/countries/{code}", views.country),
        Route("/themes", views.themes),
        Route("/themes/{path:path}", views.theme),
        Route("/compare", views.compare),
        Route("/compare/timeline", views.compare_timeline),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(views.close)  # a count in the background ends first

    app = Starlette(routes=routes, middleware=[Middleware(Guard, access=access)],
                    lifespan=lifespan)
    app.state.views = views
    return app


# Pages `kb serve` visits once before it listens. A first visit pays for compiling its SQL
# statements (~5 ms each, once a process) and its templates, out of its time budget: on a
# fresh server the seed's first comparison spent its 25 ms compiling and listed no claims.
WARM_UP = ("/claims", "/claims?country=US", "/claims?q=the", "/claims?status=contested",
           "/claims/facets?country=US", "/compare?country=US&country=CN",
           "/compare?country=US&country=CN&by=actor", "/countries", "/countries/US",
           "/themes", "/sources", "/search?q=the", "/claims/1")


def warm_up(app: ASGIApp, token: str) -> dict[str, int]:
    """Each page of WARM_UP requested through the whole application, as a program holding
    the token would; their statuses (a page the database cannot show, such as a claim 1
    that is gone, still compiles what it ran)."""
    import asyncio
    import logging

    statuses: dict[str, int] = {}

    async def visit(page: str) -> None:
        path, _, query = page.partition("?")
        scope: Scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": query.encode(), "root_path": "", "client": ("127.0.0.1", 0),
            "server": ("127.0.0.1", 80),
            "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())]}

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                statuses[page] = message["status"]

        try:
            await app(scope, receive, send)
        except Exception:  # a page's bug is that page's 500, not a server that cannot start
            logging.getLogger("kb.web").exception("warming up %s", page)
            statuses[page] = 500

    async def visit_all() -> None:
        for page in WARM_UP:
            await visit(page)

    asyncio.run(visit_all())
    return statuses
