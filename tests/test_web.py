"""`kb serve` over HTTP (Starlette's TestClient): access, every page, forms, errors, refusals.

A researcher's session in a browser: open the printed address, browse claims by country and
theme, read a claim and cite it, add a source, a claim and evidence; and what must never
happen: a page without the token, a write without the form's CSRF token or on a read-only
server, a claim's text run as script.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from http.cookiejar import CookieJar
from typing import TYPE_CHECKING
from urllib.request import HTTPCookieProcessor, build_opener

import pytest
from starlette.testclient import TestClient

from kb.db import Database
from kb.services.query import ClaimFilter
from kb.web.access import Access
from kb.web.app import create_app
from kb.web.timeline import svg
from kb.web.views import href
from tests.conftest import sqlite_only

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from starlette.applications import Starlette

    from tests.conftest import KB

TOKEN = "test-token-0123456789"
HOSTILE_TEXT = "<script>alert(1)</script> chips"
HOSTILE_QUOTE = '"><img src=x onerror=alert(1)>'


OPENED: list[Database] = []
STARTED: list[Starlette] = []


@pytest.fixture(autouse=True)
def _close_databases() -> Iterator[None]:
    """Each test's servers stop with it, and their connections close (PostgreSQL's must not
    be left open): a count still running in the background ends first."""
    yield
    while STARTED:
        STARTED.pop().state.views.close()
    while OPENED:
        OPENED.pop().dispose()


def tries(seconds: float = 30.0, pause: float = 0.05) -> Iterator[None]:
    """Attempts `pause` apart for up to `seconds`: a count in the background or a server
    starting takes a moment, longer on a loaded machine."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        yield
        time.sleep(pause)


def client_for(kb: KB, *, read_only: bool = False, facet_budget: float = 5.0,
               search_budget: float = 5.0, login: bool = True) -> TestClient:
    database = Database(kb.url)
    app = create_app(database, Access(token=TOKEN, read_only=read_only),
                     facet_budget=facet_budget, lazy_facet_budget=5.0,
                     search_budget=search_budget)
    STARTED.append(app)
    OPENED.append(database)
    client = TestClient(app)
    if login:
        assert client.get(f"/?token={TOKEN}").status_code == 200
    return client


@pytest.fixture
def web(seeded: KB) -> Iterator[TestClient]:
    with client_for(seeded) as client:
        yield client


def csrf(client: TestClient, page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
    assert found, page
    return found.group(1)


def first_claim(kb: KB) -> int:
    return int(json.loads(kb.ok("claim", "list", "--limit", "1", "--format", "json"))[0]["id"])


# Access --------------------------------------------------------------------------------------


def test_without_token_or_cookie_every_page_is_refused(seeded: KB) -> None:
    client = client_for(seeded, login=False)
    for page in ("/", "/claims", "/claims/1", "/claims?format=json", "/sources/new"):
        response = client.get(page)
        assert response.status_code == 401, page
        assert "kb needs its token" in response.text
    assert client.get("/claims?token=wrong").status_code == 401
    assert client.post("/claims/new", data={"text": "x"}).status_code == 401


def test_token_sets_a_strict_httponly_cookie_and_leaves_the_address(seeded: KB) -> None:
    client = client_for(seeded, login=False)
    response = client.get(f"/claims?country=CN&token={TOKEN}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/claims?country=CN"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    assert client.get("/claims?country=CN").status_code == 200  # the cookie now suffices


def test_the_token_redirect_stays_on_this_site(seeded: KB) -> None:
    client = client_for(seeded, login=False)
    response = client.get(f"http://testserver//evil.example/x?token={TOKEN}",
                          follow_redirects=False)
    assert response.headers["location"] == "/evil.example/x"


def test_a_forged_cookie_is_refused(seeded: KB) -> None:
    client = client_for(seeded, login=False)
    client.cookies.set("kb_session", "abc.def")
    assert client.get("/claims").status_code == 401


def test_programs_may_send_the_token_as_a_bearer(seeded: KB) -> None:
    client = client_for(seeded, login=False)
    ok = client.get("/claims?format=json", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    assert client.get("/claims", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_security_headers(web: TestClient) -> None:
    for page in ("/claims", "/static/htmx.min.js"):
        headers = web.get(page).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"


def test_no_inline_script_in_any_page(web: TestClient, seeded: KB) -> None:
    claim = first_claim(seeded)
    for page in ("/claims", f"/claims/{claim}", "/compare?country=US&country=CN",
                 "/claims/new"):
        html = web.get(page).text
        assert all(re.search(r"\ssrc=", tag) for tag in re.findall(r"<script[^>]*>", html))
        assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers either


def test_static_files_are_vendored_with_their_licence(seeded: KB) -> None:
    client = client_for(seeded, login=False)
    htmx = client.get("/static/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text
    assert "Zero-Clause BSD" in client.get("/static/htmx.LICENSE").text
    assert client.get("/static/kb.js").status_code == 200


# Pages ---------------------------------------------------------------------------------------


PAGES = ["/claims", "/claims?country=CN&theme=hardware&since=2025", "/claims?q=chips",
         "/claims?status=unverified&limit=5&offset=5", "/search", "/search?q=power",
         "/sources", "/sources/ainews2026great", "/countries", "/countries/CN",
         "/countries/Global%20South", "/themes", "/themes/hardware",
         "/compare", "/compare?country=US&country=CN", "/compare?country=US&country=CN&by=actor",
         "/countries/CN/timeline", "/compare/timeline?country=US&country=CN",
         "/claims/facets?country=CN", "/sources/new", "/claims/new"]


@pytest.mark.parametrize("address", PAGES)
def test_every_page_answers(web: TestClient, address: str) -> None:
    response = web.get(address)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")


def test_a_claim_page_shows_quote_standing_evidence_history_and_cite_menu(
        web: TestClient, seeded: KB) -> None:
    claim = json.loads(seeded.ok("claim", "list", "--status", "supported", "--format", "json"))[0]
    html = web.get(f"/claims/{claim['id']}").text
    assert claim["quote"] and _escaped(claim["quote"]) in html
    assert 'id="standing">supported<' in html
    links = json.loads(seeded.ok("claim", "show", str(claim["id"]), "--format", "json"))
    supports = sum(1 for e in links["evidence"] if e["relation"] == "supports")
    refutes = sum(1 for e in links["evidence"] if e["relation"] == "refutes")
    assert supports == 1 and refutes == 0  # the seed's: one each way would be contested
    assert '<span id="why">1 piece of evidence supports it; no evidence refutes it.</span>' in html
    assert 'id="evidence"' in html and 'id="history"' in html
    assert f"[@{claim['source']}" in html  # the pinpoint citation
    bibtex = re.search(r'id="cite-bibtex">([^<]*)', html)
    assert bibtex and bibtex.group(1).startswith("@") and claim["source"] in bibtex.group(1)
    for page in (f"/claims/{claim['id']}/edit", f"/claims/{claim['id']}/evidence/new"):
        assert web.get(page).status_code == 200


def test_evidence_shows_both_ways(web: TestClient, seeded: KB) -> None:
    first, second = (json.loads(seeded.ok("claim", "list", "--format", "json"))[i]["id"]
                     for i in (0, 1))
    seeded.ok("evidence", "add", str(first), "--refutes", "--claim", str(second))
    assert f'href="/claims/{second}"' in web.get(f"/claims/{first}").text
    given = web.get(f"/claims/{second}").text
    assert 'id="evidence-given"' in given and f'href="/claims/{first}"' in given


def test_cite_menu_formats_the_five_styles(web: TestClient, seeded: KB) -> None:
    import shutil

    html = web.get(f"/claims/{first_claim(seeded)}/cite").text
    if shutil.which("pandoc") is None:
        assert "need pandoc" in html
        return
    for style in ("apa", "chicago-author-date", "mla", "ieee", "harvard"):
        assert f'id="cite-{style}"' in html
        assert re.search(rf'id="cite-{style}">[^<]+<', html)


def test_cite_menu_without_pandoc_says_so_in_a_line(web: TestClient, seeded: KB,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "pandoc" else real(name))
    html = web.get(f"/claims/{first_claim(seeded)}/cite").text
    assert 'id="cite-note"' in html and "pandoc" in html


def test_source_page_groups_claims_by_theme_and_names_who_reported_it(
        web: TestClient, seeded: KB) -> None:
    report = json.loads(seeded.ok("source", "show", "ainews2026great", "--format", "json"))
    html = web.get("/sources/ainews2026great").text
    assert f"What it asserted ({len(report['claims'])} claims)" in html
    for theme in {t.split("/")[0] for c in report["claims"] for t in c["themes"]}:
        assert f'href="/themes/{theme}' in html
    reported = [s for s in json.loads(seeded.ok("source", "list", "--format", "json"))
                if json.loads(seeded.ok("source", "show", s["key"], "--format", "json"))[
                    "reported_by"]]
    for source in reported:
        assert "Reported by" in web.get(f"/sources/{source['key']}").text
    # What the reference says beyond the citation: its note, language; an organisation as
    # named, without BibTeX's braces.
    npr = json.loads(seeded.ok("source", "show", "npr2026china", "--format", "json"))
    html = web.get("/sources/npr2026china").text
    assert f'<p class="note">{_escaped(npr["note"])}</p>' in html and "language en" in html
    seeded.ok("source", "add", "--title", "Annual report", "--author", "{World Bank}",
              "--key", "wb2025")
    assert "World Bank · " in web.get("/sources/wb2025").text


def test_facets_count_within_the_filter_and_link_back(web: TestClient, seeded: KB) -> None:
    html = web.get("/claims?country=CN").text
    cn = len(json.loads(seeded.ok("claim", "list", "--country", "CN", "--format", "json")))
    # The country facet counts as if no country were chosen (a repeated country adds to it).
    assert re.search(rf'<span>CN</span><span class="count">{cn}</span>', html)
    assert 'href="/claims?country=CN&amp;country=US"' in html
    section = re.search(r'data-facet="status".*?</section>', html, re.S)
    assert section
    standing = sum(int(n) for n in re.findall(r'class="count">(\d+)<', section.group(0)))
    assert standing == cn


def facet_counts(html: str) -> dict[str, dict[str, int]]:
    out = {}
    for name, body in re.findall(r'data-facet="(\w+)">(.*?)</section>', html, re.S):
        out[name] = {value: int(n) for value, n in re.findall(
            r'<span>([^<]*)</span><span class="count">(\d+)</span>', body)}
    return out


@pytest.mark.parametrize("where", [[], [("theme", "hardware")], [("country", "CN")],
                                   [("country", "US"), ("theme", "hardware")]])
def test_every_facet_count_is_the_length_of_the_list_it_links_to(
        web: TestClient, seeded: KB, where: list[tuple[str, str]]) -> None:
    claims = json.loads(seeded.ok("claim", "list", "--format", "json"))
    seeded.ok("claim", "retract", str(claims[0]["id"]), "--reason", "misread")
    unverified = next(c["id"] for c in claims if c["status"] == "unverified")
    seeded.ok("source", "add", "--title", "Fabricated", "--key", "fab2024", "--date", "2024")
    seeded.ok("evidence", "add", str(unverified), "--supports", "--source", "fab2024")
    # Its evidence stops counting toward standing: the standing facet must say so too.
    seeded.ok("source", "retract", "fab2024", "--reason", "fabricated")
    counted = facet_counts(web.get(href("/claims", where)).text)
    assert set(counted) == {"country", "theme", "status", "source"}
    for name, values in counted.items():
        assert values, name
        for value, n in values.items():
            # What the facet's link shows: its value added to (or, single-valued or
            # repeated, in place of) the filter's own.
            # The facet counts its value in place of the filter's own (disjunctive).
            pairs = [*((k, v) for k, v in where if k != name), (name, value)]
            listed = web.get(href("/claims", [*pairs, ("format", "json")])).json()
            assert n == len(listed), (name, value)


def test_facets_over_budget_show_many_and_load_later(seeded: KB) -> None:
    with client_for(seeded, facet_budget=0) as client:
        # (Not /claims, which logging in has shown, and whose counts may be kept already.)
        html = client.get("/claims?country=US").text
        assert html.count('class="muted many"') == 4
        assert 'hx-get="/claims/facets?country=US"' in html and 'hx-trigger="load"' in html
        assert "many" not in client.get("/claims/facets?country=US").text


def test_a_search_with_no_time_to_rank_lists_the_latest_added_first(seeded: KB) -> None:
    def listed(html: str) -> list[int]:
        return [int(i) for i in re.findall(r'<li id="claim-(\d+)"', html)]

    with client_for(seeded, search_budget=0) as client:
        best_first = [c["id"] for c in client.get("/claims?q=chips&format=json").json()]
        assert len(best_first) > 3 and best_first != sorted(best_first, reverse=True)
        html = client.get("/claims?q=chips").text
        assert listed(html) == sorted(best_first, reverse=True)
        assert 'id="unranked"' in html and 'href="/claims?q=chips&amp;rank=all"' in html
        # Asked to wait, the page ranks every match, as `kb search` does.
        assert listed(client.get("/claims?q=chips&rank=all").text) == best_first
        # The next pages keep the order the first one had.
        first = client.get("/claims?q=chips&limit=2").text
        assert 'href="/claims?q=chips&amp;limit=2&amp;rank=latest&amp;offset=2"' in first
        second = client.get("/claims?q=chips&limit=2&rank=latest&offset=2").text
        assert listed(first) + listed(second) == sorted(best_first, reverse=True)[:4]
        refused = client.get("/claims?q=chips&rank=best")
        assert refused.status_code == 400
        assert ("invalid rank 'best': expected all (rank every match) or latest"
                in _unescaped(refused.text))
    with client_for(seeded) as client:  # time enough: best first, nothing said
        html = client.get("/claims?q=chips").text
        assert listed(html) == best_first and 'id="unranked"' not in html


def test_facets_past_the_budget_are_counted_after_the_page_for_the_next_visit(
        seeded: KB) -> None:
    def many(client: TestClient) -> int:
        return client.get("/claims?country=CN").text.count('class="muted many"')

    def counted_in_the_background(client: TestClient) -> bool:
        for _ in tries():
            if many(client) == 0:
                return True
        return False

    with client_for(seeded, facet_budget=0) as client:
        assert many(client) == 4  # no time at all: every count is left to later
        assert counted_in_the_background(client)
        listed = client.get("/claims?country=CN&format=json").json()
        facet = re.search(r'data-facet="status".*?</ul>', client.get("/claims?country=CN").text,
                          re.S)
        assert facet and sum(int(n) for n in re.findall(r'class="count">(\d+)<', facet.group(0))
                             ) == len(listed)
        seeded.ok("claim", "add", "--source", "ainews2026great", "--text", "New", "--country",
                  "CN")
        assert many(client) == 4  # the database changed: nothing kept is shown
        assert counted_in_the_background(client)


def test_a_listing_past_its_share_leaves_its_facets_to_the_later_request(
        seeded: KB, monkeypatch: pytest.MonkeyPatch) -> None:
    import kb.web.views

    # As if the listing had taken a second past its share: the facets' budget is spent.
    monkeypatch.setattr(kb.web.views, "LISTING_SHARE", -1.0)
    with client_for(seeded, facet_budget=1.0) as client:
        html = client.get("/claims?country=CN").text
        assert html.count('class="muted many"') == 4 and 'hx-get="/claims/facets' in html
        assert "many" not in client.get("/claims/facets?country=CN").text


def test_search_as_you_type_answers_the_listing_alone(web: TestClient) -> None:
    partial = web.get("/claims?q=chips", headers={"HX-Request": "true"})
    assert partial.text.startswith('<div id="listing"')
    assert "<html" not in partial.text
    bad = web.get('/claims?q="unclosed', headers={"HX-Request": "true"})
    assert bad.status_code == 400 and 'id="error"' in bad.text and "<html" not in bad.text


def test_pages_of_claims_follow_the_cli_order(web: TestClient, seeded: KB) -> None:
    every = [c["id"] for c in json.loads(seeded.ok("claim", "list", "--format", "json"))]
    html = web.get("/claims?limit=5&offset=5").text
    shown = [int(i) for i in re.findall(r'<li id="claim-(\d+)">', html)]
    assert shown == every[5:10]
    assert 'rel="next" href="/claims?limit=5&amp;offset=10"' in html
    assert "offset=0" in html  # back to newer


def test_timeline_is_inline_svg_drawn_on_the_server(web: TestClient) -> None:
    html = web.get("/compare/timeline?country=US&country=CN").text
    assert "<svg" in html and '<rect class="bar"' in html and "style=" not in html


def timeline_bars(html: str) -> dict[str, int]:
    return {f"{place} {month}": int(count) for place, month, count in re.findall(
        r"<title>(\S+) (\d{4}-\d{2}): (\d+)</title>", html)}


def test_timeline_counts_each_place_s_claims_per_month_as_the_list_does(seeded: KB) -> None:
    for date, country, theme in (("2025-03-02", "CN", "hardware"), ("2025-03", "CN", "models"),
                                 ("2025", "CN", "hardware"), ("2024-11-30", "US", "hardware"),
                                 ("2024-11-01", "CN", "hardware")):
        seeded.ok("claim", "add", "--source", "npr2026china", "--text", f"Dated {date}",
                  "--country", country, "--theme", theme, "--date", date)
    hidden = seeded.ok("claim", "add", "--source", "npr2026china", "--text", "Withdrawn",
                       "--country", "CN", "--date", "2024-11-05").strip()
    seeded.ok("claim", "retract", hidden, "--reason", "a test")

    def expected(places: list[str], options: list[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for place in places:
            for row in json.loads(seeded.ok("claim", "list", "--country", place, *options,
                                            "--format", "json")):
                if len(row["date"]) >= 7:  # a claim dated only to a year has no month
                    key = f"{place} {row['date'][:7]}"
                    counts[key] = counts.get(key, 0) + 1
        return counts

    with client_for(seeded) as web:
        for address, places, options in (
                ("/countries/CN/timeline", ["CN"], []),
                ("/countries/CN/timeline?theme=hardware", ["CN"], ["--theme", "hardware"]),
                ("/compare/timeline?country=US&country=CN&since=2024-11&until=2025",
                 ["US", "CN"], ["--since", "2024-11", "--until", "2025"])):
            bars = timeline_bars(web.get(address).text)
            assert bars == expected(places, options), address
    assert bars == {"US 2024-11": 1, "CN 2024-11": 1, "CN 2025-03": 2}


def test_counts_over_every_claim_are_kept_until_the_database_changes(seeded: KB) -> None:
    """/countries, /themes and the timeline count once, and never show a stale count: a
    change by this server or by a `kb` command elsewhere is seen on the next visit."""
    def claims_about(client: TestClient, code: str) -> int:
        rows = client.get("/countries?format=json").json()
        return next((row["claims"] for row in rows if row["code"] == code), 0)

    def themed(client: TestClient, path: str) -> int:
        rows = client.get("/themes?format=json").json()
        return next((row["claims"] for row in rows if row["theme"] == path), 0)

    with client_for(seeded) as client:
        before = claims_about(client, "KE")
        bars = timeline_bars(client.get("/countries/KE/timeline").text)
        assert claims_about(client, "KE") == before  # kept: the same answer
        made = int(seeded.ok("claim", "add", "--source", "ainews2026great", "--text",
                             "Kenya builds a data centre", "--country", "Kenya",
                             "--theme", "infrastructure/kenya", "--date", "2026-01-15"))
        assert claims_about(client, "KE") == before + 1
        assert themed(client, "infrastructure/kenya") == 1
        assert timeline_bars(client.get("/countries/KE/timeline").text) == {
            **bars, "KE 2026-01": bars.get("KE 2026-01", 0) + 1}
        token = csrf(client, f"/claims/{made}/edit")
        edited = client.post(f"/claims/{made}/edit", data={
            "csrf_token": token, "source": "ainews2026great", "text": "Kenya builds one",
            "country": "Kenya", "theme": "infrastructure/kenya", "date": "2026-02"},
            follow_redirects=False)
        assert edited.status_code == 303
        assert timeline_bars(client.get("/countries/KE/timeline").text) == {
            **bars, "KE 2026-02": bars.get("KE 2026-02", 0) + 1}
        seeded.ok("claim", "rm", str(made))
        assert claims_about(client, "KE") == before
        assert themed(client, "infrastructure/kenya") == 0


def test_counts_past_the_page_s_budget_come_in_when_counted(
        seeded: KB, monkeypatch: pytest.MonkeyPatch) -> None:
    """/countries, /themes and a timeline answer at once without counts they have no time for, count
    them in the background and ask again (htmx, every second) until they have them."""
    import kb.web.views

    def again(html: str, address: str) -> bool:
        return f'hx-get="{address}" hx-trigger="load delay:1s"' in html

    def until_counted(client: TestClient, address: str) -> str:
        for _ in tries():
            html = client.get(address).text
            if not again(html, address):
                return html
        raise AssertionError(f"{address} never counted")

    expected = {row["code"]: row["claims"] for row in json.loads(
        seeded.ok("countries", "--format", "json"))}
    monkeypatch.setattr(kb.web.views, "COUNT_BUDGET", 0.0)
    with client_for(seeded) as client:
        first = client.get("/countries").text
        assert again(first, "/countries") and "Counting the claims" in first
        counted = until_counted(client, "/countries")
        shown = dict(re.findall(r'<td><a href="/countries/(\w+)">\w+</a></td><td>[^<]*</td>'
                                r"<td>(\d+)</td>", counted))
        assert {code: int(n) for code, n in shown.items()} == expected
        first = client.get("/countries/CN/timeline").text
        assert again(first, "/countries/CN/timeline") and "<svg" not in first
        months = Counter(f"CN {c['date'][:7]}" for c in json.loads(seeded.ok(
            "claim", "list", "--country", "CN", "--format", "json")) if len(c["date"] or "") >= 7)
        assert timeline_bars(until_counted(client, "/countries/CN/timeline")) == months
        first = client.get("/themes").text
        assert again(first, "/themes") and "Counting the claims under each theme" in first
        shown_themes = re.findall(r'<td><a href="/themes/[^"]*">([^<]*)</a></td><td>(\d+)</td>'
                                  r"<td>(\d+)</td>", until_counted(client, "/themes"))
        themes = json.loads(seeded.ok("themes", "--format", "json"))
        assert [(t, int(own), int(every)) for t, own, every in shown_themes] == [
            (row["theme"], row["claims"], row["with_subthemes"]) for row in themes]
        # Before its counts, the page lists the same themes (their parents too).
        assert re.findall(r'<td><a href="/themes/[^"]*">([^<]*)</a></td><td>…</td>',
                          first) == [row["theme"] for row in themes]
    monkeypatch.setattr(kb.web.views, "BACKGROUND_COUNTS", 0.0)  # no more time to be had
    with client_for(seeded) as client:
        html = client.get("/countries/US/timeline").text
        assert "Too many claims to chart in time" in html and "hx-get" not in html
        html = client.get("/countries").text
        assert "Too many claims to count in time" in html and not again(html, "/countries")


def test_timeline_svg_is_empty_without_months_and_escapes_labels() -> None:
    assert svg({"US": {}}) == ""
    drawn = svg({"<b>": {"2025-01": 2, "2025-03": 1}})
    assert "&lt;b&gt;" in drawn and "<b>" not in drawn
    assert drawn.count('<rect class="bar"') == 2


@pytest.mark.parametrize("extra", [[], [("theme", "hardware")], [("theme", "energy/grid")],
                                   [("depth", "2")], [("theme", "models"), ("depth", "2")]])
def test_compare_cells_count_their_claims_list_the_newest_and_link_to_the_rest(
        web: TestClient, seeded: KB, monkeypatch: pytest.MonkeyPatch,
        extra: list[tuple[str, str]]) -> None:
    import kb.web.views

    monkeypatch.setattr(kb.web.views, "CELL", 1)
    options = [f"--{name}={value}" for name, value in extra]
    rows = json.loads(seeded.ok("compare", "--country", "US", "--country", "CN", *options,
                                "--format", "json"))
    html = web.get(href("/compare", [("country", "US"), ("country", "CN"), *extra])).text
    assert 'id="compare-many"' not in html
    table = re.search(r'<table id="comparison">.*?</table>', html, re.S)
    assert table
    shown_rows = re.findall(r"<tr><th>(?:<a [^>]*>)?([^<]+)(?:</a>)?</th>(.*?)</tr>",
                            table.group(0), re.S)[1:]  # after the heading
    assert [key for key, _ in shown_rows] == [row["theme"] for row in rows]
    more = 0
    for (key, cells_html), row in zip(shown_rows, rows, strict=True):
        cells = re.findall(r'<td data-count="(\d+)">(.*?)</td>', cells_html, re.S)
        for (count, cell), country in zip(cells, ("US", "CN"), strict=True):
            ids = row["countries"][country]
            assert int(count) == len(ids), (key, country)
            narrower = [v for k, v in extra if k == "theme" and v.startswith(key + "/")]
            # The cell's newest claim, in the listing's order.
            newest = [c["id"] for c in json.loads(seeded.ok(
                "claim", "list", "--country", country, "--theme", (narrower or [key])[0],
                "--format", "json")) if c["id"] in ids][:1] if key != "(no theme)" else ids[:1]
            assert [int(i) for i in re.findall(r'<a href="/claims/(\d+)">', cell)] == newest
            if len(ids) > 1 and key != "(no theme)":
                more += 1
                link = re.search(r'class="more" href="([^"]+)">\+(\d+) more<', cell)
                assert link and int(link.group(2)) == len(ids) - 1
                listed = web.get(link.group(1).replace("&amp;", "&") + "&format=json").json()
                assert sorted(c["id"] for c in listed) == sorted(ids)
    assert more or extra, "the seed has cells with more than one claim"


def test_compare_lists_cells_from_each_columns_newest_claims_and_counts_the_rest(
        web: TestClient, seeded: KB, monkeypatch: pytest.MonkeyPatch) -> None:
    import kb.services.compare

    monkeypatch.setattr(kb.services.compare, "WINDOW", 1)
    rows = json.loads(seeded.ok("compare", "--country", "US", "--country", "CN",
                                "--format", "json"))
    html = web.get("/compare?country=US&country=CN").text
    cells = re.findall(r'<td data-count="(\d+)">(.*?)</td>', html, re.S)
    assert len(cells) == 2 * len(rows)
    newest = {country: json.loads(seeded.ok("claim", "list", "--country", country, "--limit",
                                            "1", "--format", "json"))[0]["id"]
              for country in ("US", "CN")}
    for (count, cell), country in zip(cells, ["US", "CN"] * len(rows), strict=True):
        listed = [int(i) for i in re.findall(r'<a href="/claims/(\d+)">', cell)]
        # Only a column's newest claim is listed (in each of its rows); every count is whole.
        assert listed in ([], [newest[country]])
        if int(count) > len(listed):
            assert f"+{int(count) - len(listed)} more" in cell
    assert sum(int(count) for count, _ in cells) == sum(
        len(ids) for row in rows for ids in row["countries"].values())


def test_compare_past_its_budget_says_more_without_a_number(seeded: KB) -> None:
    with client_for(seeded, facet_budget=0) as client:
        response = client.get("/compare?country=US&country=CN")
        assert response.status_code == 200
        assert 'id="compare-many"' in response.text
        counts = re.findall(r'<td data-count="([^"]+)">', response.text)
        assert counts and set(counts) == {"many"}
        assert 'class="more" href="/claims?country=US&amp;theme=' in response.text


def test_a_comparison_past_its_budget_is_counted_for_the_next_visit(seeded: KB) -> None:
    rows = json.loads(seeded.ok("compare", "--country", "US", "--country", "CN",
                                "--format", "json"))
    with client_for(seeded, facet_budget=0) as client:
        assert 'id="compare-many"' in client.get("/compare?country=US&country=CN").text
        for _ in tries():
            html = client.get("/compare?country=US&country=CN").text
            if 'id="compare-many"' not in html:
                break
        counts = [int(n) for n in re.findall(r'<td data-count="(\d+)">', html)]
        assert counts == [len(row["countries"][c]) for row in rows for c in ("US", "CN")]


# JSON: the CLI's, byte for byte --------------------------------------------------------------


@pytest.mark.parametrize(("address", "command"), [
    ("/claims?format=json", ["claim", "list"]),
    ("/claims?format=json&country=CN&theme=hardware", ["claim", "list", "--country", "CN",
                                                        "--theme", "hardware"]),
    ("/claims?format=json&country=US&country=CN&since=2025&limit=3",
     ["claim", "list", "--country", "US", "--country", "CN", "--since", "2025", "--limit", "3"]),
    ("/claims?format=json&status=supported", ["claim", "list", "--status", "supported"]),
    ("/search?format=json&q=chips", ["search", "chips"]),
    ("/claims?format=json&q=power%20OR%20grid", ["claim", "list", "--search", "power OR grid"]),
    ("/countries/CN?format=json", ["claim", "list", "--country", "CN"]),
    ("/themes/hardware?format=json", ["claim", "list", "--theme", "hardware"]),
    ("/sources?format=json", ["source", "list"]),
    ("/sources/ainews2026great?format=json", ["source", "show", "ainews2026great"]),
    ("/countries?format=json", ["countries"]),
    ("/themes?format=json", ["themes"]),
    ("/compare?format=json&country=US&country=CN", ["compare", "--country", "US",
                                                     "--country", "CN"]),
    ("/compare?format=json&country=US&country=CN&by=actor&depth=1",
     ["compare", "--country", "US", "--country", "CN", "--by", "actor"]),
])
def test_json_equals_the_cli(web: TestClient, seeded: KB, address: str, command: list[str]
                             ) -> None:
    response = web.get(address)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.text == seeded.ok(*command, "--format", "json")


def test_claim_json_equals_claim_show(web: TestClient, seeded: KB) -> None:
    claim = first_claim(seeded)
    assert web.get(f"/claims/{claim}?format=json").text == seeded.ok(
        "claim", "show", str(claim), "--format", "json")
    assert web.get(f"/claims/{claim}/history?format=json").text == seeded.ok(
        "claim", "history", str(claim), "--format", "json")


def test_json_errors_are_json(web: TestClient) -> None:
    response = web.get("/claims?format=json&country=Narnia")
    assert response.status_code == 400
    assert "Narnia" in response.json()["error"]
    assert web.get("/claims/999999?format=json").status_code == 404


# The source list ------------------------------------------------------------------------------

LIBRARY = [  # (key, options): a small library beside the seed's two sources
    ("miller2022chip", ["--title", "Chip War", "--type", "book", "--author", "Miller, Chris",
                        "--date", "2022-10-04"]),
    ("allen2019bots", ["--title", "Understanding China's AI Strategy", "--type", "report",
                       "--author", "Allen, Gregory C.", "--date", "2019-02"]),
    ("lee2018super", ["--title", "AI Superpowers", "--type", "book", "--author", "Lee, Kai-Fu",
                      "--date", "2018"]),
]


@pytest.fixture
def library(seeded: KB) -> KB:
    for key, options in LIBRARY:
        seeded.ok("source", "add", "--key", key, *options)
    return seeded


def source_keys(html: str) -> list[str]:
    return re.findall(r'<tr><td><a href="/sources/[^"]+">([^<]+)</a>', html)


@pytest.mark.parametrize(("query", "options"), [
    ("", []),
    ("type=book", ["--type", "book"]),
    ("author=miller", ["--author", "miller"]),
    ("since=2019&until=2022", ["--since", "2019", "--until", "2022"]),
    ("has_claims=1", ["--has-claims"]),
    ("has_claims=0", ["--no-claims"]),
    ("search=china", ["--search", "china"]),
    ("search=ai&type=book&has_claims=0", ["--search", "ai", "--type", "book", "--no-claims"]),
])
def test_source_filters_give_what_kb_source_list_gives(library: KB, query: str,
                                                       options: list[str]) -> None:
    cli = library.ok("source", "list", *options, "--format", "json")
    assert json.loads(cli), "each filter keeps some of the library"
    with client_for(library) as web:
        response = web.get("/sources?format=json&" + query)
        assert response.status_code == 200
        assert response.text == cli
        # The page lists the same sources in the same order.
        assert source_keys(web.get("/sources?" + query).text) == [
            row["key"] for row in json.loads(cli)]


def test_the_filter_form_is_a_get_form_that_shows_its_values(library: KB) -> None:
    with client_for(library) as web:
        html = web.get("/sources?author=Lee&has_claims=0").text
    form = re.search(r'<form class="source-filters" id="filters" action="/sources" '
                     r'method="get".*?</form>', html, re.S)
    assert form, html
    for name in ("search", "author", "type", "since", "until", "has_claims"):
        assert f'name="{name}"' in form.group(0)
    assert 'name="author" value="Lee"' in form.group(0)
    assert '<option value="0" selected>' in form.group(0)
    assert source_keys(html) == ["lee2018super"]


def test_sources_come_a_page_at_a_time_with_a_next_link(library: KB) -> None:
    every = [row["key"] for row in json.loads(library.ok("source", "list", "--format", "json"))]
    seen: list[str] = []
    with client_for(library) as web:
        address: str | None = "/sources?limit=2"
        while address is not None:
            html = web.get(address).text
            seen += source_keys(html)
            following = re.search(r'<a rel="next" href="([^"]+)"', html)
            address = following.group(1).replace("&amp;", "&") if following else None
        assert seen == every and len(every) == 5
        # Filters stay in the next link; JSON pages as the listing does.
        html = web.get("/sources?type=book&limit=1").text
        assert source_keys(html) == ["lee2018super"]
        assert 'href="/sources?type=book&amp;limit=1&amp;offset=1"' in html
        assert [r["key"] for r in web.get(
            "/sources?format=json&limit=2&offset=1").json()] == every[1:3]


def test_fifty_sources_a_page_each_with_its_claim_count(seeded: KB) -> None:
    from kb.services import sources
    from kb.services.sources import SourceFields

    database = Database(seeded.url)
    OPENED.append(database)
    with database.write() as session:
        for number in range(60):
            sources.add(session, SourceFields(title=f"Working paper {number}", type="report",
                                              date="2024"), key=f"paper{number:03d}")
    every = json.loads(seeded.ok("source", "list", "--format", "json"))
    with client_for(seeded) as web:
        first = web.get("/sources").text
        assert source_keys(first) == [row["key"] for row in every[:50]]
        assert 'rel="next" href="/sources?offset=50"' in first
        last = web.get("/sources?offset=50").text
        assert source_keys(last) == [row["key"] for row in every[50:]]
        assert 'rel="next"' not in last
        for key, count in (("ainews2026great", 41), ("npr2026china", 1), ("paper000", 0)):
            claims = re.search(rf'{key}</a></td><td>[^<]*</td><td>[^<]*</td><td>(\d+)<', first)
            assert claims and int(claims.group(1)) == count, key


@pytest.mark.parametrize(("query", "message"), [
    ("type=novel", "invalid type 'novel': not a CSL item type"),
    ("since=soon", "invalid since 'soon'"),
    ("since=2024&until=2020", "invalid since '2024': is after --until 2020"),
    ("has_claims=yes", "invalid has_claims 'yes': expected 1"),
    ("limit=ten", "invalid limit 'ten': expected a whole number"),
    ("search=%22unclosed", "invalid"),
])
def test_a_bad_source_filter_is_a_400_beside_the_form(web: TestClient, query: str,
                                                      message: str) -> None:
    page = web.get("/sources?" + query)
    assert page.status_code == 400
    assert 'id="filters"' in page.text  # the form is still there to correct it
    error = re.search(r'<p class="error" id="error">([^<]*)</p>', page.text)
    assert error and _unescaped(error.group(1)).startswith(message), page.text
    assert source_keys(page.text) == []
    answer = web.get("/sources?format=json&" + query)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(message)


# Forms ---------------------------------------------------------------------------------------


def test_a_researcher_adds_a_source_a_claim_and_evidence(kb: KB) -> None:
    with client_for(kb) as web:
        made = web.post("/sources/new", data={
            "csrf_token": csrf(web, "/sources/new"), "title": "Chip Wars",
            "author": "Miller, Chris", "date": "2022", "type": "book", "key": "miller2022chip"},
            follow_redirects=False)
        assert made.status_code == 303 and made.headers["location"] == "/sources/miller2022chip"
        token = csrf(web, "/claims/new")
        made = web.post("/claims/new", data={
            "csrf_token": token, "source": "miller2022chip",
            "text": "Taiwan makes most leading-edge chips", "quote": "ninety percent",
            "locator": "p. 12", "country": "Taiwan, China", "theme": "hardware/chips",
            "actor": "TSMC\nASML", "date": "2022-10"}, follow_redirects=False)
        assert made.status_code == 303
        claim_id = int(made.headers["location"].rsplit("/", 1)[1])
        shown = json.loads(kb.ok("claim", "show", str(claim_id), "--format", "json"))
        assert shown["countries"] == ["CN", "TW"] and shown["actors"] == ["ASML", "TSMC"]
        assert shown["locator"] == "p. 12" and shown["date"] == "2022-10"
        landed = web.get(made.headers["location"]).text  # the CLI's notice, said once
        assert "new theme &#39;hardware/chips&#39;" in landed
        assert "new theme" not in web.get(made.headers["location"]).text
        assert f'id="claim-{claim_id}"' in web.get("/claims?country=TW").text

        other = int(kb.ok("claim", "add", "--source", "miller2022chip", "--text", "Other"))
        made = web.post(f"/claims/{claim_id}/evidence/new", data={
            "csrf_token": token, "relation": "supports", "claim": str(other),
            "quote": "q", "locator": "p. 3", "note": "n"}, follow_redirects=False)
        assert made.status_code == 303
        assert made.headers["location"].startswith(f"/claims/{claim_id}#evidence-")
        assert json.loads(kb.ok("claim", "show", str(claim_id), "--format", "json"))[
            "status"] == "supported"

        edited = web.post(f"/claims/{claim_id}/edit", data={
            "csrf_token": token, "source": "miller2022chip", "text": "Taiwan makes most chips",
            "quote": "", "locator": "p. 12", "country": "TW", "theme": "hardware/chips",
            "actor": "TSMC", "date": "2022-10"}, follow_redirects=False)
        assert edited.status_code == 303
        after = json.loads(kb.ok("claim", "show", str(claim_id), "--format", "json"))
        assert after["text"] == "Taiwan makes most chips" and after["quote"] is None
        assert after["countries"] == ["TW"] and after["actors"] == ["TSMC"]
        history = web.get(f"/claims/{claim_id}").text
        assert "edited" in history
        # Lists as their items, nothing as "(none)", not Python's reprs.
        assert "<li>actors: ASML, TSMC → TSMC</li>" in history
        assert "<li>quote: ninety percent → (none)</li>" in history


def test_the_edit_form_is_filled_with_the_claim(web: TestClient, seeded: KB) -> None:
    claim = json.loads(seeded.ok("claim", "list", "--limit", "1", "--format", "json"))[0]
    html = web.get(f"/claims/{claim['id']}/edit").text
    assert _escaped(claim["text"]) in html
    assert f'value="{", ".join(claim["countries"] + claim["regions"])}"' in html


@pytest.mark.parametrize(("address", "fields", "status", "field", "message"), [
    ("/claims/new", {"source": "ainews2026great", "text": "  "}, 400, "text",
     "a claim needs its statement text"),
    ("/claims/new", {"source": "nosuchsource", "text": "x"}, 404, "source", "not found"),
    ("/claims/new", {"source": "", "text": "x"}, 400, "source", "choose the source"),
    ("/claims/new", {"source": "ainews2026great", "text": "x", "country": "Narnia"}, 400,
     "country", "not a known country or region"),
    ("/claims/new", {"source": "ainews2026great", "text": "x", "date": "2025-13"}, 400,
     "date", "invalid date"),
    ("/claims/new", {"source": "ainews2026great", "text": "x", "theme": "a//b"}, 400,
     "theme", "slash path"),
    ("/sources/new", {"title": ""}, 400, "title", "must not be empty"),
    ("/sources/new", {"title": "T", "type": "novel"}, 400, "type", "not a CSL item type"),
    ("/sources/new", {"title": "T", "key": "has space"}, 400, "key", "use letters"),
])
def test_a_refused_form_shows_the_error_beside_its_field_and_writes_nothing(
        web: TestClient, seeded: KB, address: str, fields: dict[str, str], status: int,
        field: str, message: str) -> None:
    before = seeded.dump()
    response = web.post(address, data={"csrf_token": csrf(web, address), **fields})
    assert response.status_code == status, response.text
    error = re.search(rf'<p class="error" id="error-{field}">([^<]*)</p>', response.text)
    assert error and message in error.group(1), response.text
    assert seeded.dump() == before


def test_a_conflict_is_409_and_writes_nothing(web: TestClient, seeded: KB) -> None:
    before = seeded.dump()
    response = web.post("/sources/new", data={"csrf_token": csrf(web, "/sources/new"),
                                              "title": "Again", "key": "ainews2026great"})
    assert response.status_code == 409 and "already exists" in response.text
    assert seeded.dump() == before


def test_evidence_errors(web: TestClient, seeded: KB) -> None:
    claim = first_claim(seeded)
    page = f"/claims/{claim}/evidence/new"
    token = csrf(web, page)
    before = seeded.dump()
    both = web.post(page, data={"csrf_token": token, "relation": "supports",
                                "source": "ainews2026great", "claim": "1"})
    assert both.status_code == 400 and 'id="error-source"' in both.text
    itself = web.post(page, data={"csrf_token": token, "relation": "refutes",
                                  "claim": str(claim)})
    assert itself.status_code == 400 and 'id="error-claim"' in itself.text
    missing = web.post(page, data={"csrf_token": token, "relation": "supports",
                                   "claim": "999999"})
    assert missing.status_code == 404 and 'id="error-claim"' in missing.text
    word = web.post(page, data={"csrf_token": token, "relation": "supports", "claim": "two"})
    assert word.status_code == 400
    assert web.get("/claims/999999/evidence/new").status_code == 404
    assert seeded.dump() == before


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_a_write_without_this_sessions_csrf_token_is_refused(
        web: TestClient, seeded: KB, token: str | None) -> None:
    before = seeded.dump()
    data = {"source": "ainews2026great", "text": "sneaky"}
    if token is not None:
        data["csrf_token"] = token
    response = web.post("/claims/new", data=data)
    assert response.status_code == 403 and "CSRF" in response.text
    assert seeded.dump() == before


def test_another_sessions_csrf_token_is_refused(seeded: KB) -> None:
    with client_for(seeded) as mine, client_for(seeded) as theirs:
        stolen = csrf(theirs, "/claims/new")
        response = mine.post("/claims/new", data={"csrf_token": stolen, "text": "x",
                                                  "source": "ainews2026great"})
        assert response.status_code == 403


def test_read_only_refuses_every_write(seeded: KB) -> None:
    before = seeded.dump()
    claim = first_claim(seeded)
    with client_for(seeded, read_only=True) as web:
        assert web.get("/claims").status_code == 200
        # A country no claim names yet is not stored by asking for it.
        assert web.get("/claims?country=France").status_code == 200
        assert web.get("/countries/FR").status_code == 200
        assert "read-only" in web.get("/claims").text and "/claims/new" not in web.get(
            "/claims").text
        for page in ("/claims/new", "/sources/new", f"/claims/{claim}/edit",
                     f"/claims/{claim}/evidence/new"):
            assert web.get(page).status_code == 403, page
            assert web.post(page, data={"text": "x", "title": "x"}).status_code == 403, page
    assert seeded.dump() == before


@sqlite_only
def test_pages_naming_places_no_claim_is_about_read_while_another_process_writes(
        seeded: KB, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading stores nothing, so takes no write lock: two visitors naming a country not
    stored yet (France, the EU) were each refused as "busy" while the other held it."""
    monkeypatch.setenv("KB_LOCK_TIMEOUT", "1")
    german = int(seeded.ok("claim", "add", "--source", "ainews2026great", "--text",
                           "German fabs", "--country", "DE"))
    before = seeded.dump()
    writer = sqlite3.connect(seeded.path)
    writer.execute("BEGIN IMMEDIATE")  # another process writing, for as long as the test
    try:
        with client_for(seeded) as web:
            for page in ("/countries/FR", "/claims?country=France&country=EU", "/countries/EU",
                         "/compare?country=DE&country=EU", "/countries/FR/timeline",
                         "/claims/facets?country=FR"):
                response = web.get(page)
                assert response.status_code == 200, (page, response.text[:300])
            eu = web.get("/claims?country=EU&format=json").json()
    finally:
        writer.rollback()
        writer.close()
    # The EU's members count though nothing stored the region.
    assert [c["id"] for c in eu] == [german] and seeded.dump() == before


def test_numbers_past_an_id_are_not_found_or_refused_never_a_server_error(
        web: TestClient, seeded: KB) -> None:
    huge, past = "99999999999999999999999", "9999999999"  # past: ten digits, no INTEGER
    before = seeded.dump()
    for claim_id in (past, huge, "1" * 5000):
        for page in (f"/claims/{claim_id}", f"/claims/{claim_id}/edit",
                     f"/claims/{claim_id}/cite", f"/claims/{claim_id}/evidence/new",
                     f"/claims/{claim_id}/history"):
            assert web.get(page).status_code == 404, page
    assert f"claim {past} not found" in web.get(f"/claims/{past}").text
    for offset, why in ((huge, "expected at most 2147483647"), ("1" * 5000,
                        "expected at most 2147483647"), ("²", "expected a whole number")):
        refused = web.get(f"/claims?offset={offset}")
        assert refused.status_code == 400, offset
        assert f"invalid offset '{offset}': {why}" in _unescaped(refused.text)
    claim = first_claim(seeded)
    form = web.post(f"/claims/{claim}/evidence/new", data={
        "csrf_token": csrf(web, f"/claims/{claim}/evidence/new"), "relation": "supports",
        "claim": huge})
    assert form.status_code == 400
    assert f"invalid claim '{huge}': expected a claim id" in _unescaped(form.text)
    assert seeded.dump() == before


def test_kb_serve_warms_up_through_the_token_and_changes_nothing(seeded: KB) -> None:
    from kb.web.app import WARM_UP, warm_up

    before = seeded.dump()
    database = Database(seeded.url)
    OPENED.append(database)
    app = create_app(database, Access(token=TOKEN))
    STARTED.append(app)
    assert warm_up(app, TOKEN) == dict.fromkeys(WARM_UP, 200)
    assert warm_up(app, "not-the-token") == dict.fromkeys(WARM_UP, 401)
    assert seeded.dump() == before


def test_a_source_key_ending_in_text_opens_its_source(web: TestClient, seeded: KB) -> None:
    seeded.ok("source", "add", "--title", "An odd key", "--key", "odd/text")
    page = web.get("/sources/odd/text")
    assert page.status_code == 200 and "<h1>An odd key" in page.text
    # The text page of a source that has one is unchanged.
    assert "text version 1" in web.get("/sources/ainews2026great/text").text


def test_pages_say_what_their_numbers_and_links_mean(web: TestClient, seeded: KB) -> None:
    chosen = web.get("/claims?country=CN").text  # a second country widens the list
    assert re.search(r'data-facet="country">\s*(?:\{#.*?#\}\s*)?<h3>Country <span[^>]*>\(any of\)',
                     chosen) and "<h3>Theme</h3>" in chosen
    rows = json.loads(seeded.ok("compare", "--country", "US", "--country", "CN",
                                "--format", "json"))
    shown = re.findall(r'cell-count">(\d+) claims?<', web.get(
        "/compare?country=US&country=CN").text)
    assert [int(n) for n in shown] == [len(row["countries"][c]) for row in rows
                                       for c in ("US", "CN") if row["countries"][c]]
    past = web.get("/claims?offset=1000").text
    assert "No claims past the first 1000." in past and "No claims match." not in past
    ranked = web.get("/claims?q=China&limit=3&offset=3").text
    assert "← Better matches" in ranked and "Newer" not in ranked
    assert "<h1>Africa</h1>" in web.get("/countries/Africa").text


def test_a_search_marks_its_words_and_says_where_else_a_claim_matched(
        web: TestClient, seeded: KB) -> None:
    made = seeded.ok("claim", "add", "--source", "ainews2026great", "--text",
                     '<b>Chips</b> & "39" wafers', "--quote", "fresh wafers")
    html = web.get("/claims?q=chips+OR+39").text  # "39" must not mark inside an entity
    assert ('<span class="text">&lt;b&gt;<mark>Chips</mark>&lt;/b&gt; &amp; &#34;<mark>39</mark>'
            "&#34; wafers</span>") in html
    assert f'<li id="claim-{made.strip()}">' in html
    # A claim matched by its source's title alone says so; one matched by its quote shows it.
    titled = web.get("/claims?q=Washington").text
    shown = len(re.findall(r'<span class="text">[^\n]*<mark>', titled)) + titled.count(
        '<div class="quote-match">')
    said = titled.count('class="muted why-matched"')
    assert said > shown and said + shown == titled.count('<li id="claim-')
    quoted = web.get("/claims?q=fresh").text
    assert '<div class="quote-match">“<mark>fresh</mark> wafers”</div>' in quoted


# Hostile text --------------------------------------------------------------------------------


def test_hostile_text_is_shown_as_text(kb: KB) -> None:
    kb.ok("source", "add", "--title", '<b onmouseover="alert(1)">T</b>', "--key", "evil",
          "--author", "<script>x</script>")
    claim = kb.ok("claim", "add", "--source", "evil", "--text", HOSTILE_TEXT, "--quote",
                  HOSTILE_QUOTE, "--locator", "<i>p. 1</i>", "--country", "US",
                  "--country", "CN", "--theme", "x/<y>", "--actor", "<svg onload=alert(1)>"
                  ).strip()
    with client_for(kb) as web:
        pages = ["/claims", f"/claims/{claim}", "/sources/evil", "/sources",
                 "/claims?q=chips", f"/claims/{claim}/edit", "/compare?country=US&country=CN",
                 "/themes", "/countries/US"]
        for page in pages:
            html = web.get(page).text
            assert "<script>alert(1)</script>" not in html, page
            assert "<img src=x" not in html, page
            assert "<svg onload" not in html and "<b onmouseover" not in html, page
        shown = web.get(f"/claims/{claim}").text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
        assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in shown
        # Reflected input is escaped too.
        reflected = web.get('/claims?q="><img src=x onerror=alert(1)>').text
        assert "<img src=x" not in reflected
        for name in ("search", "author", "since"):  # a source filter's value, shown back
            assert "<img src=x" not in web.get(f"/sources?{name}={HOSTILE_QUOTE}").text


# A quote in its source's stored text --------------------------------------------------------

# A snapshot is hostile input like any other text: markup around the quote and inside it.
SNAPSHOT = """Report on chips <script>alert(1)</script> and "><img src=x onerror=alert(1)>

Exports of chips fell by 14% in 2025, the ministry said <b>on</b> Tuesday.

The ministry said exports of semiconductors fell sharply during the second quarter of the year.

Grid capacity is the \u201cbinding\u201d constraint for new data centres in the north.
"""


def with_snapshot(kb: KB, tmp_path: Path, text: str = SNAPSHOT) -> None:
    kb.ok("source", "add", "--title", "The Report", "--key", "report2025", "--date", "2025")
    path = tmp_path / "report.txt"
    path.write_text(text, encoding="utf-8")
    kb.ok("source", "attach", "report2025", str(path), "--retrieved", "2025-06-01")


def quoted(kb: KB, quote: str, source: str = "report2025") -> int:
    return int(kb.ok("claim", "add", "--source", source, "--text", "a claim", "--quote", quote))


def in_text(html: str) -> str:
    found = re.search(r'<section class="in-text".*?</section>', html, re.S)
    assert found, "no in-text section"
    return found.group(0)


def test_a_verified_quote_is_marked_in_its_snapshot_with_context_and_escaped(
        kb: KB, tmp_path: Path) -> None:
    with_snapshot(kb, tmp_path)
    claim = quoted(kb, "chips fell by 14% in 2025, the ministry said <b>on</b> Tuesday")
    with client_for(kb) as web:
        section = in_text(web.get(f"/claims/{claim}").text)
        assert 'data-quote-status="verified"' in section
        assert ('<mark id="claim-passage">chips fell by 14% in 2025, the ministry said '
                "&lt;b&gt;on&lt;/b&gt; Tuesday</mark>") in section
        assert "Exports of <mark" in section and "</mark>.\n\nThe ministry said" in section
        assert "version 1" in section and "retrieved 2025-06-01" in section
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section
        assert "<script>" not in section and "<img src=x" not in section and "<b>" not in section
        link = re.search(r'href="([^"]+)" id="full-text"', section)
        assert link and link.group(1) == (
            f"/sources/report2025/text?version=1&amp;claim={claim}#passage")
        full = web.get(f"/sources/report2025/text?version=1&claim={claim}")
        assert full.status_code == 200
        stored = re.search(r'<div class="stored-text" id="stored-text">(.*?)</div>', full.text,
                           re.S)
        assert stored and _unescaped(stored.group(1).replace('<mark id="passage">', "")
                                     .replace("</mark>", "")) == SNAPSHOT
        assert ('<mark id="passage">chips fell by 14% in 2025, the ministry said '
                "&lt;b&gt;on&lt;/b&gt; Tuesday</mark>") in full.text
        assert "<script>alert" not in full.text and "<img src=x" not in full.text
        assert "retrieved 2025-06-01" in full.text


def test_a_normalised_quote_marks_the_sources_own_words(kb: KB, tmp_path: Path) -> None:
    with_snapshot(kb, tmp_path)
    claim = quoted(kb, 'the "binding" constraint')
    with client_for(kb) as web:
        section = in_text(web.get(f"/claims/{claim}").text)
        assert 'data-quote-status="normalised"' in section
        assert '<mark id="claim-passage">the \u201cbinding\u201d constraint</mark>' in section


def test_candidate_not_found_and_no_text_say_so_and_mark_nothing(kb: KB, tmp_path: Path
                                                                 ) -> None:
    with_snapshot(kb, tmp_path)
    candidate = quoted(kb, "exports of semiconductor fell sharply during the second quarter")
    missing = quoted(kb, "nothing like this sentence is in there")
    kb.ok("source", "add", "--title", "No text", "--key", "notext2025", "--date", "2025")
    no_text = quoted(kb, "whatever it said", source="notext2025")
    with client_for(kb) as web:
        pages = {claim: in_text(web.get(f"/claims/{claim}").text)
                 for claim in (candidate, missing, no_text)}
        assert "<mark" not in "".join(pages.values())
        assert "Not verified: only a near passage was found (98% alike)" in pages[candidate]
        assert f"kb quote accept {candidate}" in pages[candidate]
        assert "Not found in this text; the nearest passage" in pages[missing]
        assert "No stored text of" in pages[no_text]
        assert "kb source attach notext2025 FILE" in pages[no_text]
        full = web.get(f"/sources/report2025/text?version=1&claim={candidate}").text
        assert "<mark" not in full and "is candidate in this version" in full


def test_the_context_is_a_few_hundred_characters_either_side(kb: KB, tmp_path: Path) -> None:
    filler = "Nothing here matters much at all. " * 200  # 6,800 characters
    with_snapshot(kb, tmp_path, filler + "The one sentence that is quoted here. " + filler)
    claim = quoted(kb, "The one sentence that is quoted here.")
    with client_for(kb) as web:
        section = in_text(web.get(f"/claims/{claim}").text)
        context = re.search(r'id="passage-context">(.*?)</blockquote>', section, re.S)
        assert context
        before, after = context.group(1).split('<mark id="claim-passage">')
        # Cut at spaces, and marked as cut: whole words either side.
        assert re.match(r"\u2026 [a-z]+ ", before) and re.search(r" [a-z]+ \u2026$", after)
        assert 250 < len(before) <= 303 and 250 < len(after.split("</mark>")[1]) <= 303


def test_a_stored_text_page_refuses_what_is_not_there(kb: KB, tmp_path: Path) -> None:
    with_snapshot(kb, tmp_path)
    kb.ok("source", "add", "--title", "No text", "--key", "notext2025", "--date", "2025")
    with client_for(kb) as web:
        whole = web.get("/sources/report2025/text")
        assert whole.status_code == 200 and "<mark" not in whole.text
        for page, code, message in [
                ("/sources/report2025/text?version=9", 404,
                 "source &#39;report2025&#39; has no text version 9"),
                ("/sources/notext2025/text", 404, "source &#39;notext2025&#39; has no stored"),
                ("/sources/report2025/text?version=x", 400, "version"),
                ("/sources/report2025/text?claim=999999", 404, "claim 999999 not found"),
                ("/sources/nosuch/text", 404, "nosuch")]:
            response = web.get(page)
            assert response.status_code == code, page
            assert message in response.text, page


# The real command ----------------------------------------------------------------------------


def test_kb_serve_prints_an_address_with_a_token_and_serves_it(seeded: KB) -> None:
    from urllib.error import HTTPError, URLError

    with subprocess.Popen([sys.executable, "-m", "kb", "--db", seeded.db, "serve", "--port",
                           "0", "--read-only"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True) as server:
        try:
            assert server.stdout is not None
            server.stdout.readline()
            url = server.stdout.readline().strip()
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{20,}", url), url
            opener = build_opener(HTTPCookieProcessor(CookieJar()))
            for _ in tries(pause=0.1):
                try:
                    with opener.open(url, timeout=5) as page:
                        assert page.status == 200 and page.url.endswith("/claims")
                        assert "Claims" in page.read().decode()
                    break
                except HTTPError:
                    raise
                except URLError:
                    pass
            else:
                pytest.fail("kb serve never answered")
            with pytest.raises(HTTPError) as refused:
                build_opener().open(url.split("?")[0] + "claims", timeout=5)
            assert refused.value.code == 401
            refused.value.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


def _escaped(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def _unescaped(html: str) -> str:
    import html as html_module

    return html_module.unescape(html)


def test_a_query_over_its_time_limit_stops_and_the_transaction_goes_on(seeded: KB) -> None:
    from sqlalchemy import text

    from kb.services import facets

    slow = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000000) "
            "SELECT count(*) FROM n")
    database = Database(seeded.url)
    OPENED.append(database)
    with database.read() as session:
        started = time.perf_counter()
        with pytest.raises(facets.TimedOut), facets.time_limit(session, 0.05):
            session.execute(text(slow)).scalar()
        assert time.perf_counter() - started < 2
        assert session.execute(text("SELECT count(*) FROM claim")).scalar()
        with facets.time_limit(session, 5):
            assert session.execute(text("SELECT 1")).scalar() == 1
        counted = facets.facets(session, ClaimFilter(), 5)
        assert counted.complete and counted.counts["status"]
