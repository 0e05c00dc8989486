"""The pages: parse the request, call the services the CLI calls, render a template.

Reads run in a read transaction and writes in one write transaction (kb.db.Database), one
session per request; Starlette runs these synchronous functions in its thread pool. A
service's KBError becomes the page's error: Invalid 400 (next to its field), NotFound 404,
Conflict 409, and nothing is written.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import shutil
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import quote, unquote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import bindparam, select
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from kb.errors import LARGEST_INTEGER, Busy, Conflict, Invalid, KBError, NotFound
from kb.formats.reference import CSL_TYPES, Name
from kb.services.query import ClaimFilter
from kb.services.source_query import SourceFilter
from kb.web.cache import Budgeted, Versioned

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Iterator

    from sqlalchemy.orm import Session
    from starlette.datastructures import FormData, QueryParams
    from starlette.requests import Request

    from kb.db import Database
    from kb.models import Source
    from kb.services.facets import Facets
    from kb.web.access import Access

T = TypeVar("T")


class Complete(Protocol):
    """A count that says whether it had everything in its budget (facets, a comparison)."""

    @property
    def complete(self) -> bool: ...


C = TypeVar("C", bound=Complete)

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
PAGE = 50  # claims a page lists unless ?limit= says otherwise
MAX_PAGE = 500
# Seconds a page's count over every claim (claims per country, per month) may take before
# the page shows without it, and asks again while it is counted in the background.
COUNT_BUDGET = 0.03
# Seconds the lazily loaded facet counts may take: that request is a page too, held to the
# 50 ms target (the rest is rendering); a count past it stays "many", as in Datasette.
LAZY_FACETS = 0.035
BACKGROUND_COUNTS = 10.0  # seconds for counts made after a page ran out (kept for the next)
# Seconds a search's page may take to rank every match; past it, the latest added first.
SEARCH_BUDGET = 0.1
LISTING_SHARE = 0.01  # seconds a listing's own query may take before its facets get less
CELL = 5  # claims a comparison cell lists before "+N more"
DEEP_CELL = 2  # ... at --depth 2 or more, whose table has six times the rows
STYLES = ("apa", "chicago-author-date", "mla", "ieee", "harvard")
STATUS_CODES = {Invalid: 400, NotFound: 404, Conflict: 409, Busy: 503}


def _logged(done: Future[None]) -> None:
    """A count in the background that failed (the database gone mid-count) is logged; one
    cancelled by the server stopping is not a failure."""
    if not done.cancelled() and (error := done.exception()) is not None:
        logging.getLogger("kb.web").warning("counting in the background: %s", error)


def status_of(error: KBError) -> int:
    for kind, code in STATUS_CODES.items():
        if isinstance(error, kind):
            return code
    return 400


def field_of(error: KBError) -> str | None:
    """The form field an error belongs next to."""
    if isinstance(error, Invalid):
        return {"countries": "country", "themes": "theme", "actors": "actor",
                "evidence": "source", "reports-on": "reports-on"}.get(error.field, error.field)
    message = str(error)
    for name in ("source", "claim"):
        if message.startswith(name + " "):
            return name
    return None


def as_json(value: Any) -> Response:
    """The CLI's `--format json` output, byte for byte (click.echo adds the newline)."""
    return Response(json.dumps(value, indent=2, ensure_ascii=False) + "\n",
                    media_type="application/json")


def _values(params: QueryParams | FormData, name: str) -> list[str]:
    return [str(v).strip() for v in params.getlist(name) if str(v).strip()]


def _one(params: QueryParams | FormData, name: str) -> str | None:
    values = _values(params, name)
    return values[-1] if values else None


def _number(params: QueryParams | FormData, name: str, default: int | None,
            most: int | None = None) -> int | None:
    raw = _one(params, name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]+", raw):  # (isdigit() takes "²", which int() refuses)
        raise Invalid(name, raw, "expected a whole number, 0 or more")
    if len(raw) > 10 or int(raw) > LARGEST_INTEGER:
        raise Invalid(name, raw, f"expected at most {LARGEST_INTEGER}")
    return min(int(raw), most) if most is not None else int(raw)


def claim_filter(params: QueryParams) -> ClaimFilter:
    """The filters as `kb claim list` names them; `q` is --search."""
    return ClaimFilter(
        countries=_values(params, "country"), themes=_values(params, "theme"),
        source=_one(params, "source"), actor=_one(params, "actor"),
        since=_one(params, "since"), until=_one(params, "until"),
        status=_values(params, "status"), search=_one(params, "q") or _one(params, "search"),
        limit=_number(params, "limit", None),
    )


FILTER_KEYS = ("country", "theme", "source", "actor", "since", "until", "status", "q")


def filter_params(where: ClaimFilter) -> list[tuple[str, str]]:
    """A filter back as query-string pairs, in the CLI's names."""
    pairs = [("country", c) for c in where.countries] + [("theme", t) for t in where.themes]
    pairs += [("status", s) for s in where.status]
    for name, value in (("source", where.source), ("actor", where.actor),
                        ("since", where.since), ("until", where.until),
                        ("q", where.search)):
        if value:
            pairs.append((name, value))
    return pairs


SOURCE_FILTER_KEYS = ("search", "author", "type", "since", "until", "has_claims")


def source_filter(params: QueryParams) -> SourceFilter:
    """The filters as `kb source list` names them; `has_claims` is 1 (--has-claims) or 0
    (--no-claims)."""
    has_claims = _one(params, "has_claims")
    if has_claims not in (None, "1", "0"):
        raise Invalid("has_claims", has_claims,
                      "expected 1 (sources that make claims) or 0 (those that make none)")
    return SourceFilter(
        search=_one(params, "search"), author=_one(params, "author"),
        type=_one(params, "type"), since=_one(params, "since"), until=_one(params, "until"),
        has_claims=None if has_claims is None else has_claims == "1")


def source_filter_params(where: SourceFilter) -> list[tuple[str, str]]:
    """A source filter back as query-string pairs, in the CLI's names."""
    pairs = [(name, value) for name, value in (
        ("search", where.search), ("author", where.author), ("type", where.type),
        ("since", where.since), ("until", where.until)) if value]
    if where.has_claims is not None:
        pairs.append(("has_claims", "1" if where.has_claims else "0"))
    return pairs


def toggled(pairs: list[tuple[str, str]], name: str, value: str, single: bool
            ) -> list[tuple[str, str]]:
    """The pairs with `name=value` added, or removed if present; a single-valued name is
    replaced."""
    if (name, value) in pairs:
        return [p for p in pairs if p != (name, value)]
    kept = [p for p in pairs if not (single and p[0] == name)]
    return [*kept, (name, value)]


def href(path: str, pairs: list[tuple[str, str]]) -> str:
    return path + ("?" + urlencode(pairs) if pairs else "")


def split_list(value: str | None, commas: bool) -> list[str]:
    """A textarea's lines (or, for countries and themes, comma-separated values)."""
    if not value:
        return []
    parts = value.replace(",", "\n").splitlines() if commas else value.splitlines()
    return [p.strip() for p in parts if p.strip()]


def form_list(form: FormData, name: str, commas: bool) -> list[str]:
    return [item for raw in form.getlist(name) for item in split_list(str(raw), commas)]


def marked(text: str, marks: re.Pattern[str] | None) -> list[tuple[str, bool]]:
    """`text` as pieces, each with whether a searched word (the template escapes each and
    wraps the words in <mark>)."""
    if not marks or not text:
        return [(text, False)]
    pieces = marks.split(text)  # the pattern's one group: the words at odd positions
    return [(piece, i % 2 == 1) for i, piece in enumerate(pieces) if piece]


def shown_value(value: Any) -> str:
    """A field's value in a history line: a list as its items, nothing as "(none)"."""
    if value in (None, "", [], {}):
        return "(none)"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def standing_why(record: dict[str, Any]) -> str:
    """A sentence saying which evidence gives the claim its standing."""
    counts = {r: sum(1 for e in record["evidence"] if e["relation"] == r)
              for r in ("supports", "refutes", "qualifies")}

    def n(relation: str, does: str, do: str) -> str:
        count = counts[relation]
        if count == 0:
            return f"no evidence {does}"
        return (f"1 piece of evidence {does}" if count == 1
                else f"{count} pieces of evidence {do}")

    if not any(counts.values()):
        return "No evidence is linked yet."
    parts = [n("supports", "supports it", "support it"), n("refutes", "refutes it", "refute it")]
    if counts["qualifies"]:
        parts.append(n("qualifies", "qualifies it", "qualify it") + " (which settles nothing)")
    sentence = "; ".join(parts) + "."
    return sentence[0].upper() + sentence[1:]


class Views:
    def __init__(self, database: Database, access: Access, facet_budget: float,
                 lazy_facet_budget: float = LAZY_FACETS, keep_counts: bool = True,
                 search_budget: float = SEARCH_BUDGET) -> None:
        self.database, self.access, self.facet_budget = database, access, facet_budget
        self.search_budget = search_budget
        self.lazy_facet_budget = lazy_facet_budget
        # The comparison's lists and counts: the facets' 20 ms and a quarter more, so that
        # both columns list their claims (a comparison listing one side only misleads): the
        # lists may take two thirds of it, ~7 ms a column at 100k and 1M claims; the counts
        # have what the lists leave, and at 100k run out of it either way (the background
        # makes them).
        self.compare_budget = facet_budget * 1.25
        self.env = Environment(loader=FileSystemLoader(WEB_DIR / "templates"),
                               autoescape=select_autoescape(default=True),
                               trim_blocks=True, lstrip_blocks=True)
        self.env.globals.update(href=href, toggled=toggled, quote=quote)
        self.env.filters["pair"] = lambda value, name: (name, value)
        self.env.filters["short"] = lambda text, n=140: (
            text if len(text) <= n else text[: n - 1] + "…")
        self.env.filters["shown"] = shown_value
        self.env.filters["marked"] = marked
        # An organisation, kept braced whole ("{World Bank}"), shown by its name.
        self.env.filters["person"] = lambda name: Name.parse(name).literal or name
        self._citations: dict[tuple[str, str, str], str] = {}
        self.kept = Versioned(database if keep_counts else None)
        self._background = ThreadPoolExecutor(1, thread_name_prefix="kb-counts")
        self._pending: set[Hashable] = set()
        self._pending_lock = threading.Lock()

    def close(self) -> None:
        """The server is stopping: the count running in the background ends, those waiting
        are dropped, and what was kept is let go."""
        self._background.shutdown(wait=True, cancel_futures=True)
        self.kept.close()

    # Rendering -----------------------------------------------------------------------------

    @property
    def notice_cookie(self) -> str:
        return self.access.cookie_name.replace("session", "notices")

    def render(self, request: Request, name: str, status: int = 200, **context: Any
               ) -> HTMLResponse:
        session_id = request.state.kb_session if hasattr(request.state, "kb_session") else None
        # What the last write said (a new theme...), as the CLI says it on stderr: once.
        said = request.cookies.get(self.notice_cookie)
        notices = [] if not said or name.startswith("_") else json.loads(unquote(said))
        context.update(
            request=request, read_only=self.access.read_only, notices=notices,
            csrf_token=self.access.csrf_token(session_id) if session_id else "",
        )
        response = HTMLResponse(self.env.get_template(name).render(context), status_code=status)
        if notices:
            response.delete_cookie(self.notice_cookie, path="/")
        return response

    def failed(self, request: Request, error: KBError, wants_json: bool = False) -> Response:
        code = status_of(error)
        if wants_json:
            return Response(json.dumps({"error": str(error)}, ensure_ascii=False) + "\n",
                            status_code=code, media_type="application/json")
        if request.headers.get("hx-request") == "true":
            return self.render(request, "_error.html", status=code, error=str(error))
        return self.render(request, "error.html", status=code, error=str(error))

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read transaction that writes nothing (whatever a service might add is rolled
        back: a page, and a read-only server, must not change the database). The database's
        version is read first, before the session reads anything, so what the session counts
        is at least as new as the version (kb.web.cache)."""
        with self.database.read() as session:
            session.info["kb_version"] = self.kept.version(session)
            savepoint = session.begin_nested()
            try:
                yield session
            finally:
                if savepoint.is_active:
                    savepoint.rollback()

    def kept_result(self, session: Session, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, counted once until the database changes (kb.web.cache)."""
        result: T = self.kept.get(session.info["kb_version"], key, compute)
        return result

    def counted(self, session: Session, key: Hashable, budget: float,
                count: Callable[[Session, float], C]) -> C:
        """`count(session, budget)`'s result as kept since the database last changed; else
        counted within the page's `budget`, and, if that left anything out (its `complete`
        is false), counted again in the background with BACKGROUND_COUNTS seconds and kept
        for the next visit."""
        version = session.info["kb_version"]
        result: C | None = self.kept.peek(version, key)
        if result is None:
            result = count(session, budget)
            if result.complete:
                self.kept.put(version, key, result)
            elif version is not None:
                self._count_later(key, count)
        return result

    def facet_counts(self, session: Session, where: ClaimFilter, budget: float) -> Facets:
        """A listing's facet counts (the page's and the lazily loaded ones share them)."""
        from kb.services import facets

        return self.counted(session, ("facets", repr(replace(where, limit=None))), budget,
                            lambda session, budget: facets.facets(session, where, budget))

    @property
    def counting(self) -> bool:
        """Whether counts are being made, or wait to be, in the background."""
        with self._pending_lock:
            return bool(self._pending)

    def _count_later(self, key: Hashable, count: Callable[[Session, float], Complete]) -> None:
        """One count at a time in the background, one more waiting; past that, a filter's
        counts wait for another visit (search as you type asks for many in a row)."""
        with self._pending_lock:
            if key in self._pending or len(self._pending) >= 2:
                return
            self._pending.add(key)
        self._background.submit(self._count_now, key, count).add_done_callback(_logged)

    def _count_now(self, key: Hashable, count: Callable[[Session, float], Complete]) -> None:
        try:
            with self.read() as session:
                self.kept.put(session.info["kb_version"], key,
                              count(session, BACKGROUND_COUNTS))
        finally:
            with self._pending_lock:
                self._pending.discard(key)

    def reading(self, request: Request, work: Callable[[Session], Response],
                wants_json: bool = False) -> Response:
        try:
            with self.read() as session:
                return work(session)
        except KBError as error:
            return self.failed(request, error, wants_json)

    @staticmethod
    def wants_json(request: Request) -> bool:
        return request.query_params.get("format") == "json"

    def refuse_if_read_only(self, request: Request) -> Response | None:
        if self.access.read_only:
            return self.render(request, "error.html", status=403,
                               error="This server is read-only (kb serve --read-only).")
        return None

    async def checked_form(self, request: Request) -> FormData | Response:
        """The posted form, or a 403 when its CSRF token is not this session's."""
        form = await request.form()
        session_id = getattr(request.state, "kb_session", None)
        given = form.get("csrf_token")
        if not self.access.csrf_ok(session_id, given if isinstance(given, str) else None):
            return await run_in_threadpool(
                self.render, request, "error.html", 403,
                error="The form's CSRF token is missing or not this session's; reload the "
                      "page and send it again.")
        return form

    # Listings ------------------------------------------------------------------------------

    def home(self, request: Request) -> Response:
        return RedirectResponse("/claims", status_code=307)

    def page_of(self, session: Session, where: ClaimFilter, limit: int, offset: int,
                ranked: bool = True) -> tuple[list[dict[str, Any]], bool]:
        """One page of `kb claim list`'s records, and whether more follow."""
        from kb.services.query import records, select_claims

        stmt = select_claims(session, replace(where, limit=offset + limit + 1), ranked)
        # Literal LIMIT/OFFSET, as select_claims renders its own (STYLE §9).
        stmt = stmt.limit(bindparam("page_limit", limit + 1, literal_execute=True)).offset(
            bindparam("page_offset", offset, literal_execute=True))
        rows = records(session, stmt)
        return rows[:limit], len(rows) > limit

    def search_page(self, session: Session, where: ClaimFilter, limit: int, offset: int,
                    rank: str | None) -> tuple[list[dict[str, Any]], bool, bool]:
        """A page of a search's matches, best first if ranking every match takes at most
        `search_budget` seconds, else the latest added first (a word in much of the base: at 1M
        claims, the commonest words' ~110,000 matches took ~150 ms to rank, a word of every
        source title seconds); and whether they are ranked. `rank`: "all" waits for the
        ranking, "latest" (the next pages of an unranked one) does not try."""
        from kb.services.facets import TimedOut, time_limit

        if rank not in (None, "all", "latest"):
            raise Invalid("rank", rank, "expected all (rank every match) or latest")
        if not where.search or rank == "all":
            return *self.page_of(session, where, limit, offset), True
        if rank != "latest" and self.search_budget > 0:
            try:
                with time_limit(session, self.search_budget):
                    return *self.page_of(session, where, limit, offset), True
            except TimedOut:
                pass
        return *self.page_of(session, where, limit, offset, ranked=False), False

    def listing(self, request: Request, where: ClaimFilter, title: str,
                template: str = "claims.html", **extra: Any) -> Response:
        """A claims page: /claims, /search, a country's, a theme's."""
        from kb.services.search import highlighter

        params = request.query_params
        wants_json = self.wants_json(request)

        def work(session: Session) -> Response:
            offset = _number(params, "offset", 0) or 0
            if wants_json:
                # The CLI's JSON for the same options: every match unless ?limit= is given.
                if where.limit is None and not offset:
                    from kb.services.query import query_claims

                    return as_json(query_claims(session, where))
                rows, _ = self.page_of(session, where, where.limit if where.limit is not None
                                       else 10**12, offset)
                return as_json(rows)
            limit = min(where.limit if where.limit is not None else PAGE, MAX_PAGE)
            began = time.perf_counter()
            rank = params.get("rank")
            rows, more, ranked = self.search_page(session, where, limit, offset, rank)
            # The facets have their budget less what the listing took past its own share:
            # a slow listing (a search, a contested filter) leaves its facets to the lazy
            # request rather than holding the page.
            overrun = max(0.0, time.perf_counter() - began - LISTING_SHARE)
            counted = self.facet_counts(session, where, max(0.0, self.facet_budget - overrun))
            pairs = filter_params(where)
            partial = (request.headers.get("hx-request") == "true"
                       and not request.headers.get("hx-history-restore-request"))
            context = dict(
                title=title, rows=rows, more=more, limit=limit, offset=offset, ranked=ranked,
                where=where, pairs=pairs, facets=counted.counts,
                facets_complete=counted.complete,
                marks=highlighter(where.search) if where.search else None,
                page_pairs=[*pairs, *([("limit", str(limit))] if limit != PAGE else []),
                            *([("rank", "all")] if rank == "all" else []),
                            *([] if ranked else [("rank", "latest")])],
                **extra)
            if partial:
                return self.render(request, "_listing.html", **context)
            return self.render(request, template, **context)

        return self.reading(request, work, wants_json)

    def claims(self, request: Request) -> Response:
        try:
            where = claim_filter(request.query_params)
        except KBError as error:
            return self.failed(request, error, self.wants_json(request))
        return self.listing(request, where, "Claims")

    def search(self, request: Request) -> Response:
        """`kb search Q`: ranked full text, with every filter of the listing."""
        try:
            where = claim_filter(request.query_params)
        except KBError as error:
            return self.failed(request, error, self.wants_json(request))
        if not where.search:
            if self.wants_json(request):
                return self.failed(request, Invalid("q", "", "give words to search for"), True)
            return self.render(request, "search.html", title="Search")
        return self.listing(request, where, f"Search: {where.search}")

    def claim_facets(self, request: Request) -> Response:
        """The facet counts alone, with a larger budget: loaded after a page that ran out."""

        def work(session: Session) -> Response:
            where = claim_filter(request.query_params)
            counted = self.facet_counts(session, where, self.lazy_facet_budget)
            return self.render(request, "_facets.html", facets=counted.counts,
                               facets_complete=True, pairs=filter_params(where), where=where)

        return self.reading(request, work)

    # One claim -----------------------------------------------------------------------------

    def claim(self, request: Request) -> Response:
        from kb.services import claims, sources
        from kb.services.briefs import citation

        claim_id = int(request.path_params["claim_id"])

        def work(session: Session) -> Response:
            record = claims.show(session, claim_id)
            if self.wants_json(request):
                return as_json(record)
            from kb.services import texts

            history = claims.history(session, claim_id)
            return self.render(
                request, "claim.html", title=f"Claim {claim_id}", claim=record,
                history=history, why=standing_why(record),
                in_text=texts.passage(session, claim_id),
                pinpoint=citation(record["source"], record["locator"]),
                bibtex=self.bibtex(sources.get(session, record["source"])))

        return self.reading(request, work, self.wants_json(request))

    @staticmethod
    def bibtex(source: Source) -> str:
        from kb.services import citations

        return citations.render([citations.reference(source)], "bibtex")

    def claim_cite(self, request: Request) -> Response:
        """The cite menu's formatted references (pandoc, one run per style, cached)."""
        from kb.services import citations, claims

        claim_id = int(request.path_params["claim_id"])

        def work(session: Session) -> Response:
            source = claims.get(session, claim_id).source
            if shutil.which("pandoc") is None:
                return self.render(request, "_cite.html", styles=[], note=(
                    "Formatted references need pandoc on the PATH; BibTeX and the pinpoint "
                    "citation work without it."))
            reference = citations.reference(source)
            stamp = source.updated_at.isoformat()

            def one(style: str) -> str:
                cache_key = (source.key, stamp, style)
                if cache_key not in self._citations:
                    if len(self._citations) > 10_000:
                        self._citations.clear()
                    self._citations[cache_key] = citations.render([reference], "text",
                                                                  style).strip()
                return self._citations[cache_key]

            with ThreadPoolExecutor(len(STYLES)) as pool:
                rendered = list(pool.map(one, STYLES))
            return self.render(request, "_cite.html", styles=list(zip(STYLES, rendered,
                                                                      strict=True)), note=None)

        return self.reading(request, work)

    def claim_history(self, request: Request) -> Response:
        from kb.services import claims

        claim_id = int(request.path_params["claim_id"])

        def work(session: Session) -> Response:
            history = claims.history(session, claim_id)
            if self.wants_json(request):
                return as_json(history)
            return RedirectResponse(f"/claims/{claim_id}#history", status_code=303)

        return self.reading(request, work, self.wants_json(request))

    # Sources -------------------------------------------------------------------------------

    def sources(self, request: Request) -> Response:
        """`kb source list` with its filters, a page at a time; `?format=json` is the CLI's
        JSON for the same filters (every match unless ?limit= or ?offset= is given)."""
        from kb.services import source_query, views

        params = request.query_params
        wants_json = self.wants_json(request)
        shown = {name: _one(params, name) or "" for name in SOURCE_FILTER_KEYS}

        def work(session: Session) -> Response:
            where = source_filter(params)
            limit = _number(params, "limit", None)
            offset = _number(params, "offset", 0) or 0
            if wants_json:
                if limit is None and not offset:
                    return as_json(views.source_list(session, where))
                rows, _ = source_query.source_page(
                    session, where, limit if limit is not None else 10**12, offset)
                return as_json(rows)
            # At least one a page: ?limit=0 would give a "next" link back to itself.
            page = max(1, min(limit if limit is not None else PAGE, MAX_PAGE))
            rows, more = source_query.source_page(session, where, page, offset)
            pairs = source_filter_params(where)
            return self.render(
                request, "sources.html", title="Sources", rows=rows, more=more, limit=page,
                offset=offset, shown=shown, pairs=pairs, error=None, csl_types=CSL_TYPES,
                page_pairs=[*pairs, *([("limit", str(page))] if page != PAGE else [])])

        try:
            with self.read() as session:
                return work(session)
        except KBError as error:
            if wants_json:
                return self.failed(request, error, True)
            # The form again, the bad value in it and the one-line error beside it.
            return self.render(request, "sources.html", status=status_of(error),
                               title="Sources", rows=[], more=False, limit=PAGE, offset=0,
                               shown=shown, pairs=[], error=str(error), csl_types=CSL_TYPES,
                               page_pairs=[])

    def source(self, request: Request) -> Response:
        from kb.services import sources
        from kb.services.query import source_page, source_report

        key = request.path_params["key"]

        def work(session: Session) -> Response:
            if self.wants_json(request):
                return as_json(source_report(session, key))
            source = sources.get(session, key)
            report = source_page(session, source)
            # Each claim's item is rendered once, by _claim_items.html's macro, and shown
            # under each of its themes (two a claim on average): rendering it anew under
            # every theme was half the page's time. (A template's module holds its macros.)
            items = self.env.get_template("_claim_items.html").module
            claim_item = items.claim_item  # type: ignore[attr-defined]
            by_theme: dict[str, list[str]] = {}  # theme: its claims' items (Markup)
            for claim in report["claims"]:
                item = claim_item(claim)
                for theme in claim["themes"] or ["(no theme)"]:
                    by_theme.setdefault(theme, []).append(item)
            return self.render(request, "source.html", title=report["title"], source=report,
                               by_theme=sorted(by_theme.items(),
                                               key=lambda kv: (kv[0] == "(no theme)", kv[0])),
                               bibtex=self.bibtex(source))

        return self.reading(request, work, self.wants_json(request))

    def source_text(self, request: Request) -> Response:
        """A stored text whole, with one claim's quote marked (`?claim=ID`) and an id to
        scroll to (`#passage`): the claim page's "full text" link."""
        from kb.models import Source
        from kb.services import texts

        key = request.path_params["key"]
        whole = f"{key}/text"
        try:
            with self.read() as session:  # a key may itself end in "/text": its page
                named = session.scalar(select(Source.key).where(Source.key.in_([key, whole])
                                                                ).order_by(Source.key))
        except KBError as error:
            return self.failed(request, error)
        if named == whole:
            request.scope["path_params"]["key"] = whole
            return self.source(request)

        def work(session: Session) -> Response:
            version = _number(request.query_params, "version", None)
            claim_id = _number(request.query_params, "claim", None)
            shown = texts.marked_text(session, key, version, claim_id)
            return self.render(request, "source_text.html",
                               title=f"{shown['source']}: text version {shown['version']}",
                               text=shown)

        return self.reading(request, work)

    # Places and themes ---------------------------------------------------------------------

    def countries(self, request: Request) -> Response:
        from kb.models import Country
        from kb.services import taxonomy

        def work(session: Session) -> Response:
            # Counting every claim's countries takes ~50 ms at 100k claims, ~450 ms at 1M.
            if self.wants_json(request):  # a program waits for the count
                return as_json(self.kept_result(session, "countries",
                                                lambda: taxonomy.list_countries(session)))
            counted = self.counted(session, ("countries", "page"), COUNT_BUDGET,
                                   lambda session, budget: Budgeted.of(
                                       session, budget,
                                       lambda: taxonomy.list_countries(session)))
            rows = counted.value
            if rows is None:  # the page now, the counts when they are had (it asks again)
                rows = [{"code": code, "name": name, "claims": None}
                        for code, name in session.execute(
                            select(Country.code, Country.name).order_by(Country.code))]
            return self.render(request, "countries.html", title="Countries", rows=rows,
                               regions=taxonomy.list_regions(session),
                               again=counted.value is None
                               and counted.budget < BACKGROUND_COUNTS)

        return self.reading(request, work, self.wants_json(request))

    def country(self, request: Request) -> Response:
        from kb.services import taxonomy

        code = request.path_params["code"]
        try:
            where = replace(claim_filter(request.query_params), countries=[code])
            with self.read() as session:
                places = taxonomy.resolve_places(session, [code], store=False)
        except KBError as error:
            return self.failed(request, error, self.wants_json(request))
        if places.countries:
            name, label = places.countries[0].name, places.countries[0].code
        else:
            name = label = places.regions[0].name
        return self.listing(request, where, name, template="country.html", place=label,
                            timeline_url=href(f"/countries/{quote(code)}/timeline",
                                              filter_params(replace(where, countries=[]))))

    def country_timeline(self, request: Request) -> Response:
        return self.timeline(request, [request.path_params["code"]])

    def timeline(self, request: Request, places: list[str]) -> Response:
        from kb.services import timeline
        from kb.web.timeline import svg

        def work(session: Session) -> Response:
            where = replace(claim_filter(request.query_params), countries=[])
            series = self.counted(
                session, ("timeline", *places, repr(where)), COUNT_BUDGET,
                lambda session, budget: Budgeted.of(
                    session, budget, lambda: timeline.per_month(session, where, places)))
            if series.value is None:
                # Counted in the background meanwhile: this fragment asks again in a second.
                # If the background ran out of its time too, it says so and stops asking.
                again = series.budget < BACKGROUND_COUNTS
                return self.render(request, "_timeline.html", svg="", again=again, note=(
                    "Counting the claims per month…" if again else
                    "Too many claims to chart in time; narrow them with since/until or a "
                    "theme."))
            drawn = svg(series.value)
            return self.render(request, "_timeline.html", svg=drawn, note=None if drawn else
                               "No claim here is dated to the month.")

        return self.reading(request, work)

    def themes(self, request: Request) -> Response:
        from kb.services import taxonomy

        def work(session: Session) -> Response:
            # Counting each theme's claims with its sub-themes' took ~2 s at 100k claims.
            if self.wants_json(request):  # a program waits for the count
                return as_json(self.kept_result(session, "themes",
                                                lambda: taxonomy.list_themes(session)))
            counted = self.counted(session, ("themes", "page"), COUNT_BUDGET,
                                   lambda session, budget: Budgeted.of(
                                       session, budget, lambda: taxonomy.list_themes(session)))
            rows = counted.value
            if rows is None:  # the page now, the counts when they are had (it asks again)
                rows = [{"theme": path, "claims": None, "with_subthemes": None}
                        for path in taxonomy.theme_paths_in_use(session)]
            return self.render(request, "themes.html", title="Themes", rows=rows,
                               again=counted.value is None
                               and counted.budget < BACKGROUND_COUNTS)

        return self.reading(request, work, self.wants_json(request))

    def theme(self, request: Request) -> Response:
        from kb.models import Theme
        from kb.services import taxonomy

        raw = request.path_params["path"]
        try:
            path = taxonomy.normalize_theme(raw)
            where = replace(claim_filter(request.query_params), themes=[path])
            with self.read() as session:
                below = list(session.scalars(select(Theme.path).where(
                    taxonomy.theme_subtree(path)).order_by(Theme.path)))
        except KBError as error:
            return self.failed(request, error, self.wants_json(request))
        return self.listing(request, where, path, template="theme.html", theme=path,
                            subthemes=[p for p in below if p != path])

    def compare(self, request: Request) -> Response:
        from kb.models import Country
        from kb.services.compare import compare, overview

        params = request.query_params
        wants_json = self.wants_json(request)

        def work(session: Session) -> Response:
            where = claim_filter(params)
            by = _one(params, "by") or "theme"
            depth = _number(params, "depth", 1) or 1
            # The countries kb has stored, for the page's choice (without claim counts:
            # counting every country's claims cost ~100 ms at 100k).
            known = [{"code": code, "name": name} for code, name in session.execute(
                select(Country.code, Country.name).order_by(Country.code))]
            if len(where.countries) < 2 and not wants_json:
                return self.render(request, "compare.html", title="Compare", comparison=None,
                                   chosen=where.countries, known=known, by=by, depth=depth,
                                   where=where)
            if wants_json:  # the CLI's JSON: every claim id of every cell
                return as_json(compare(session, where, where.countries, by, depth).as_json())
            # The page: each cell's count and newest claims, within the page's budget.
            shown = CELL if depth == 1 else min(CELL, DEEP_CELL)
            comparison = self.counted(
                session, ("compare", repr(where), by, depth, shown), self.compare_budget,
                lambda session, budget: overview(session, where, where.countries, by, depth,
                                                 shown=shown, budget=budget))
            # A cell links to its whole list: its country, its row's theme (or actor) and
            # the other filters.
            rest = filter_params(replace(where, countries=[], themes=[] if by == "theme"
                                         else where.themes,
                                         actor=None if by == "actor" else where.actor))
            lists = {(key, column): href("/claims", [("country", column)] + [
                (by, value) for value in comparison.filters[key]] + rest)
                for key, _ in comparison.rows for column in comparison.columns}
            return self.render(
                request, "compare.html", title="Compare " + " · ".join(comparison.columns),
                comparison=comparison, chosen=where.countries, known=known, by=by,
                depth=depth, where=where, cell=shown, lists=lists,
                timeline_url=href("/compare/timeline",
                                  [("country", c) for c in comparison.columns]
                                  + filter_params(replace(where, countries=[]))))

        return self.reading(request, work, wants_json)

    def compare_timeline(self, request: Request) -> Response:
        return self.timeline(request, _values(request.query_params, "country"))

    # Forms ---------------------------------------------------------------------------------

    async def source_new(self, request: Request) -> Response:
        return await self._form(request, "source_form.html", self._add_source,
                                title="New source", values={})

    def _add_source(self, session: Session, form: FormData) -> str:
        from kb.services import sources
        from kb.services.sources import SourceFields

        values = SourceFields(
            title=_one(form, "title") or "", type=_one(form, "type"),
            publisher=_one(form, "publisher"), container=_one(form, "container"),
            authors=form_list(form, "author", commas=False) or None, date=_one(form, "date"),
            url=_one(form, "url"), doi=_one(form, "doi"), accessed=_one(form, "accessed"),
            archived_url=_one(form, "archived-url"), language=_one(form, "language"),
            note=_one(form, "note"), reports_on=_one(form, "reports-on"))
        source = sources.add(session, values, key=_one(form, "key"))
        return f"/sources/{quote(source.key)}"

    async def claim_new(self, request: Request) -> Response:
        return await self._form(request, "claim_form.html", self._add_claim,
                                title="New claim",
                                values={"source": request.query_params.get("source", "")})

    def _claim_fields(self, form: FormData) -> Any:
        from kb.services.claims import ClaimFields

        return ClaimFields(
            text=str(form.get("text") or ""), quote=str(form.get("quote") or ""),
            locator=str(form.get("locator") or ""), date=_one(form, "date") or "",
            countries=form_list(form, "country", commas=True),
            themes=form_list(form, "theme", commas=True),
            actors=form_list(form, "actor", commas=False))

    def _add_claim(self, session: Session, form: FormData) -> str:
        from kb.services import claims

        source = _one(form, "source")
        if not source:
            raise Invalid("source", "", "choose the source that makes the claim")
        fields = self._claim_fields(form)
        fields.date = fields.date or None  # unless given, the source's date
        claim = claims.add(session, source, fields)
        return f"/claims/{claim.id}"

    async def claim_edit(self, request: Request) -> Response:
        from kb.services import claims

        claim_id = int(request.path_params["claim_id"])
        if request.method == "GET":
            try:
                with self.read() as session:
                    record = claims.show(session, claim_id)
            except KBError as error:
                return self.failed(request, error)
            values = {**record, "country": ", ".join(record["countries"] + record["regions"]),
                      "theme": ", ".join(record["themes"]), "actor": "\n".join(record["actors"])}
        else:
            values = {}

        def edit(session: Session, form: FormData) -> str:
            source = _one(form, "source")
            claims.edit(session, claim_id, self._claim_fields(form), source)
            return f"/claims/{claim_id}"

        return await self._form(request, "claim_form.html", edit, title=f"Edit claim {claim_id}",
                                values=values, claim_id=claim_id)

    async def evidence_new(self, request: Request) -> Response:
        from kb.services import claims, evidence

        claim_id = int(request.path_params["claim_id"])
        if request.method == "GET":
            try:
                with self.read() as session:
                    claims.get(session, claim_id)
            except KBError as error:
                return self.failed(request, error)

        def add(session: Session, form: FormData) -> str:
            raw_claim = _one(form, "claim")
            if raw_claim is not None and not (re.fullmatch(r"[0-9]{1,10}", raw_claim)
                                              and int(raw_claim) <= LARGEST_INTEGER):
                raise Invalid("claim", raw_claim, "expected a claim id")
            link = evidence.add(
                session, claim_id, _one(form, "relation") or "",
                source_key=_one(form, "source"),
                evidence_claim_id=int(raw_claim) if raw_claim else None,
                quote=_one(form, "quote"), locator=_one(form, "locator"),
                note=_one(form, "note"))
            return f"/claims/{claim_id}#evidence-{link.id}"

        return await self._form(request, "evidence_form.html", add,
                                title=f"Evidence for claim {claim_id}",
                                values={"relation": "supports"}, claim_id=claim_id)

    async def _form(self, request: Request, template: str,
                    write: Callable[[Session, FormData], str], **context: Any) -> Response:
        """GET shows the form; POST checks CSRF, writes in one transaction, redirects (303)
        to what it made, or shows the form again with the error beside its field."""
        refused = self.refuse_if_read_only(request)
        if refused is not None:
            return refused
        if request.method == "GET":
            return await run_in_threadpool(functools.partial(
                self.render, request, template, errors={}, error=None, **context))
        form = await self.checked_form(request)
        if isinstance(form, Response):
            return form

        def run() -> Response:
            from kb.services import notices

            try:
                with self.database.write() as session:
                    target = write(session, form)
                said = [notice for _, notice in notices.of(session)][:5]
            except KBError as error:
                field = field_of(error)
                if field not in form:  # e.g. a key conflict on the source form
                    field = None
                values = {k: "\n".join(str(v) for v in form.getlist(k)) for k in form}
                return self.render(request, template, status=status_of(error),
                                   **{**context, "values": values,
                                      "errors": {field: str(error)} if field else {},
                                      "error": None if field else str(error)})
            response = RedirectResponse(target, status_code=303)
            if said:
                response.set_cookie(self.notice_cookie, quote(json.dumps(said)), httponly=True,
                                    samesite="strict", path="/")
            return response

        return await run_in_threadpool(run)
