"""`kb serve` in headless Chromium (Playwright on Debian's `chromium`): what only a browser
shows — search-as-you-type, a facet click, adding a claim and finding it, the cite menu's copy
buttons, and a Content-Security-Policy that blocks nothing of kb's own.

Playwright's own browser download cannot work here; the tests use /usr/bin/chromium and skip,
saying why, only where it is absent outside CI (in CI, .ci/run installs it and they must run).
`KB_SCREENSHOTS=docs/screenshots` writes the README's screenshots.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from tests.backends import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import ConsoleMessage, Page

    from tests.conftest import KB

CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "browser-test-token-0123456789"

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (apt-get install chromium); "
                "CI installs it and runs these", allow_module_level=True)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    return {"executable_path": str(CHROMIUM), "headless": True,
            "args": ["--no-sandbox", "--headless", "--disable-gpu",
                     "--disable-background-networking", "--disable-component-update",
                     "--no-first-run", "--disable-sync"]}


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


class Server:
    """uvicorn in a thread on a free loopback port, serving one database."""

    def __init__(self, url: str, read_only: bool = False) -> None:
        import uvicorn

        from kb.db import Database
        from kb.web.access import Access
        from kb.web.app import create_app

        self.database = Database(url)
        self.port = free_port()
        # The counts loaded after a page get time enough on a busy machine: these tests
        # click them (the budgets themselves are bench/web.py's business).
        self.app = app = create_app(self.database, Access(
            token=TOKEN, read_only=read_only, port=self.port), lazy_facet_budget=5.0)
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.app.state.views.close()  # (lifespan is off: the server's own stop is not run)
        self.database.dispose()


@pytest.fixture
def server(seeded: KB) -> Iterator[Server]:
    with Server(seeded.url) as running:
        yield running


@pytest.fixture
def signed_in(page: Page, server: Server) -> Page:
    """A page that opened the printed address (token), and collects CSP complaints."""
    page.csp_errors = []  # type: ignore[attr-defined]

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            page.csp_errors.append(message.text)  # type: ignore[attr-defined]

    page.on("console", watch)
    page.goto(f"{server.base}/?token={TOKEN}")
    assert page.url == f"{server.base}/claims"
    return page


def listed(page: Page) -> list[int]:
    return [int(i.split("-")[1]) for i in
            page.locator("#results ol.claims > li").evaluate_all("els => els.map(e => e.id)")]


def test_search_as_you_type(signed_in: Page, seeded: KB) -> None:
    def matching(query: str) -> list[int]:
        return [c["id"] for c in json.loads(seeded.ok(
            "claim", "list", "--search", query, "--limit", "50", "--format", "json"))]

    page = signed_in
    search = page.locator('input[name="q"]')
    # The word being typed is a prefix: "chi" already finds the claims about chips.
    search.press_sequentially("chi", delay=30)
    page.wait_for_url(re.compile(r"/claims\?q=chi\*$"))  # htmx pushed the address
    expected = matching("chi*")
    assert expected and set(matching("chips")) <= set(expected)
    expect(page.locator("#results ol.claims > li")).to_have_count(len(expected))
    assert listed(page) == expected
    search.press_sequentially("ps", delay=30)
    page.wait_for_url(re.compile(r"/claims\?q=chips\*$"))
    expect(page.locator("#results ol.claims > li")).to_have_count(len(matching("chips*")))
    # A quote still open asks nothing (no error, the list stays) until it closes.
    search.fill("")
    page.wait_for_url(re.compile(r"/claims\?q=$"))
    shown = listed(page)
    search.press_sequentially('"export', delay=30)
    page.wait_for_timeout(600)  # past the 300 ms the box waits before asking
    assert page.url.endswith("/claims?q=") and listed(page) == shown
    assert page.locator("#error").count() == 0
    search.press_sequentially(' controls"', delay=30)
    page.wait_for_url(re.compile(r"/claims\?q=%22export(%20|\+)controls%22$"))
    assert listed(page) == matching('"export controls"')
    assert page.locator("h1").first.inner_text() == "Claims"  # the page was not reloaded
    assert page.csp_errors == []  # type: ignore[attr-defined]


def test_a_facet_click_narrows_the_list(signed_in: Page, seeded: KB) -> None:
    page = signed_in
    page.locator('[data-facet="country"] a', has_text="CN").first.click()
    page.wait_for_url(re.compile(r"/claims\?country=CN$"))
    expected = [c["id"] for c in json.loads(seeded.ok("claim", "list", "--country", "CN",
                                                      "--limit", "50", "--format", "json"))]
    assert listed(page) == expected
    assert page.locator('[data-facet="country"] a.on').inner_text().startswith("CN")
    page.locator('[data-facet="status"] a', has_text="unverified").click()
    page.wait_for_url(re.compile(r"status=unverified"))
    assert all(s == "unverified" for s in page.locator("#results .status").all_inner_texts())


def test_adding_a_claim_and_seeing_it_listed(signed_in: Page, server: Server) -> None:
    page = signed_in
    page.goto(f"{server.base}/claims/new?source=ainews2026great")
    page.fill("#f-text", "Quokka reactors power every datacentre in Perth")
    page.fill("#f-quote", "the quokka reactor")
    page.fill("#f-locator", "para. 9")
    page.fill("#f-country", "Australia")
    page.fill("#f-theme", "energy/nuclear")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/claims/\d+$"))
    claim_id = int(page.url.rsplit("/", 1)[1])
    assert "Quokka reactors" in page.locator("#claim-text").inner_text()
    page.goto(f"{server.base}/claims")
    page.locator('input[name="q"]').fill("quokka")
    page.wait_for_url(re.compile(r"q=quokka"))
    expect(page.locator("#results ol.claims > li")).to_have_count(1)
    assert listed(page) == [claim_id]
    page.goto(f"{server.base}/countries/AU")
    assert page.locator(f"#claim-{claim_id}").count() == 1


def test_a_refused_form_shows_its_error_beside_the_field(signed_in: Page, server: Server
                                                         ) -> None:
    page = signed_in
    page.goto(f"{server.base}/claims/new")
    page.fill("#f-source", "ainews2026great")
    page.fill("#f-text", "x")
    page.fill("#f-country", "Narnia")
    page.click("button[type=submit]")
    assert "not a known country or region" in page.locator("#error-country").inner_text()
    assert page.locator("#f-text").input_value() == "x"  # what was typed is kept


@pytest.mark.skipif(shutil.which("pandoc") is None and not os.environ.get("CI"),
                    reason="the formatted references need pandoc")
def test_the_cite_menu_copies_citations(signed_in: Page, server: Server, seeded: KB) -> None:
    page = signed_in
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base)
    claim = json.loads(seeded.ok("claim", "list", "--limit", "1", "--format", "json"))[0]
    page.goto(f"{server.base}/claims/{claim['id']}")
    page.click("#cite summary")
    page.wait_for_selector("#cite-apa")  # loaded by htmx when the menu opens
    for name in ("apa", "pinpoint", "bibtex"):
        page.click(f'button[data-copy="cite-{name}"]')
        button = page.locator(f'button[data-copy="cite-{name}"]')
        expect(button).to_have_text("Copied")
        shown = page.locator(f"#cite-{name}").inner_text().strip()
        assert page.evaluate("navigator.clipboard.readText()") == shown
        assert button.get_attribute("data-copied") == shown
    assert page.evaluate("navigator.clipboard.readText()").startswith("@")  # bibtex last
    assert claim["source"] in page.locator("#cite-pinpoint").inner_text()
    assert page.csp_errors == []  # type: ignore[attr-defined]


def test_compare_page_draws_the_timeline(signed_in: Page, server: Server) -> None:
    page = signed_in
    page.goto(f"{server.base}/compare?country=US&country=CN")
    page.wait_for_selector("#timeline svg rect.bar")
    assert page.locator("#comparison th").first.inner_text() == "theme"
    assert page.csp_errors == []  # type: ignore[attr-defined]


def test_a_verified_quote_is_marked_and_the_full_text_scrolls_to_it(
        signed_in: Page, server: Server, seeded: KB, tmp_path: Path) -> None:
    page = signed_in
    claim = next(c for c in json.loads(seeded.ok("claim", "list", "--format", "json"))
                 if c["quote"] and "[" not in c["quote"] and "..." not in c["quote"])
    filler = "A paragraph nobody quotes, <b>with markup</b> shown as text.\n\n" * 150
    path = tmp_path / "snapshot.txt"
    path.write_text(filler + claim["quote"] + "\n\n" + filler, encoding="utf-8")
    seeded.ok("source", "attach", claim["source"], str(path))
    page.goto(f"{server.base}/claims/{claim['id']}")
    expect(page.locator("#claim-passage")).to_be_visible()
    assert page.locator("#claim-passage").inner_text() == claim["quote"]
    page.click("#full-text")
    expect(page.locator("mark#passage")).to_be_in_viewport()  # scrolled to, with no script
    assert page.locator("#stored-text b").count() == 0  # the text's markup stayed text
    assert page.csp_errors == []  # type: ignore[attr-defined]


def test_screenshots(signed_in: Page, server: Server, seeded: KB, tmp_path: Path) -> None:
    """The README's pictures (KB_SCREENSHOTS=docs/screenshots), else a smoke test in tmp."""
    page = signed_in
    out = Path(os.environ.get("KB_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server.base}/claims?country=CN")
    page.wait_for_selector("#facets:not([hx-get])")  # every count in (a busy machine: later)
    page.screenshot(path=str(out / "claims.png"))
    claim = json.loads(seeded.ok("claim", "list", "--status", "supported", "--format",
                                 "json"))[0]
    page.goto(f"{server.base}/claims/{claim['id']}")
    page.click("#cite summary")
    if shutil.which("pandoc"):
        page.wait_for_selector("#cite-apa")
    page.screenshot(path=str(out / "claim.png"))
    page.goto(f"{server.base}/compare?country=US&country=CN")
    page.wait_for_selector("#timeline svg")
    page.screenshot(path=str(out / "compare.png"))
    assert all((out / f"{name}.png").stat().st_size > 10_000
               for name in ("claims", "claim", "compare"))
