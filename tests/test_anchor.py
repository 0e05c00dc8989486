"""Quotes checked against stored texts, with no database: normalise, find, anchor, re-anchor."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.formats.anchor import (
    MAX_GAP,
    NORMALISER_VERSION,
    Anchor,
    Document,
    normalise,
    numbers,
    page_range,
    reanchor,
    verify_quote,
)
from tests.conftest import ARTICLE, REPO

# ----------------------------------------------------------------------------- normaliser


def test_normaliser_folds_typography_case_and_spacing() -> None:
    raw = ("\u201cCost\u2013efficiency\u201d \u2018matters\u2019 \u2014 the\u00a0 ministry\n"
           "said; indus-\ntrial out\u00adput, \ufb01ne Caf\u00e9 and Cafe\u0301, Stra\u00dfe")
    assert normalise(raw).text == ('"costefficiency" \'matters\'-the ministry said; industrial '
                                   "output, fine café and café, strasse")
    assert NORMALISER_VERSION == 1


def test_normaliser_maps_every_character_back_to_the_original() -> None:
    raw = "A\u00a0 \ufb01ne indus-\n  trial  \u201cword\u201d"
    norm = normalise(raw)
    for i, ch in enumerate(norm.text):
        start, end = norm.original(i, i + 1)
        assert 0 <= start < end <= len(raw)
        assert ch in normalise(raw[start:end]).text or ch == " "
    assert norm.original(norm.text.index("industrial"), norm.text.index("industrial") + 10) \
        == (raw.index("indus"), raw.index("trial") + 5)


TRICKY = st.text(alphabet=list("ab Z1-\n\u00a0\u00ad\u2014\u2019\u201c\ufb01\u00e9\u0301\u00df."),
                 max_size=40)


@settings(max_examples=300, deadline=None)
@given(raw=TRICKY)
def test_normaliser_offsets_are_monotonic_and_it_is_idempotent(raw: str) -> None:
    norm = normalise(raw)
    assert len(norm.starts) == len(norm.ends) == len(norm.text)
    for i in range(len(norm.text)):
        assert 0 <= norm.starts[i] < norm.ends[i] <= len(raw)
        if i:
            assert norm.starts[i - 1] <= norm.starts[i] and norm.ends[i - 1] <= norm.ends[i]
    assert normalise(norm.text).text == norm.text


@settings(max_examples=200, deadline=None)
@given(raw=st.text(alphabet=list("abc d\n-\u2014\u00a0"), min_size=1, max_size=60),
       data=st.data())
def test_any_slice_of_a_text_is_found_where_it_was_taken(raw: str, data: st.DataObject) -> None:
    words = [m.span() for m in re.finditer(r"\w+", raw)]
    if not words:
        return
    i = data.draw(st.integers(0, len(words) - 1))
    j = data.draw(st.integers(i, len(words) - 1))
    start, end = words[i][0], words[j][1]
    result = verify_quote(raw, raw[start:end])
    assert result.status == "verified"
    assert result.anchor is not None
    assert raw[result.anchor.start:result.anchor.end] == raw[start:end]


# ----------------------------------------------------------------------------- verified

ARTICLE_TEXT = (
    "Beijing's plan, published in March, sets out three pillars. The first is industry: "
    "\u201cAI must reach every factory floor\u2014not only the laboratory,\u201d the ministry "
    "wrote. The second is cost. Officials expect the cost of inference to fall by 12% in "
    "2025 and the share of firms using AI to reach 40% by 2027.\n\n"
    "Washington, by contrast, funds frontier models. Critics call it a race for model "
    "perfection; supporters call it often the only race that counts."
)


def test_an_exact_quote_is_verified_with_offsets_and_w3c_selectors() -> None:
    quote = "The second is cost."
    result = verify_quote(ARTICLE_TEXT, quote)
    assert result.status == "verified" and result.found
    anchor = result.anchor
    assert anchor is not None
    assert ARTICLE_TEXT[anchor.start:anchor.end] == quote == anchor.exact
    assert anchor.prefix == ARTICLE_TEXT[anchor.start - 32:anchor.start]
    assert anchor.suffix == ARTICLE_TEXT[anchor.end:anchor.end + 32]
    assert len(anchor.prefix) == len(anchor.suffix) == 32
    assert anchor.selectors() == [
        {"type": "TextQuoteSelector", "exact": quote, "prefix": anchor.prefix,
         "suffix": anchor.suffix},
        {"type": "TextPositionSelector", "start": anchor.start, "end": anchor.end},
    ]
    assert result.occurrences == 1 and result.warnings == () and anchor.page is None


def test_a_quote_at_the_start_has_a_short_prefix() -> None:
    anchor = verify_quote(ARTICLE_TEXT, "Beijing's plan").anchor
    assert anchor is not None and anchor.start == 0 and anchor.prefix == ""


def test_a_quote_matches_whole_words_only() -> None:
    assert verify_quote(ARTICLE_TEXT, "ten the only").status == "not-found"
    assert verify_quote(ARTICLE_TEXT, "often the only").status == "verified"


# ----------------------------------------------------------------------------- normalised


@pytest.mark.parametrize("quote", [
    '"AI must reach every factory floor - not only the laboratory," the ministry wrote',
    "\u201cai must reach every factory floor -- not only the laboratory,\u201d the ministry wrote",
    "AI must reach every factory\u00a0floor\u2014not only the labo\u00adratory",
    "AI  must reach\nevery factory floor\u2013not only the laboratory",
])
def test_a_retyped_quote_is_normalised_with_offsets_into_the_original(quote: str) -> None:
    result = verify_quote(ARTICLE_TEXT, quote)
    assert result.status == "normalised", quote
    assert result.anchor is not None
    exact = result.anchor.exact
    assert ARTICLE_TEXT[result.anchor.start:result.anchor.end] == exact
    assert exact.lstrip("\u201c").startswith("AI must reach every factory floor\u2014not only")
    assert result.normaliser_version == NORMALISER_VERSION


def test_a_word_hyphenated_across_a_line_break_is_found() -> None:
    text = "Output from the indus-\ntrial heartland rose; cost-\nefficiency improved."
    result = verify_quote(text, "industrial heartland rose; cost-efficiency improved")
    assert result.status == "normalised"
    assert result.anchor is not None
    assert result.anchor.exact == "indus-\ntrial heartland rose; cost-\nefficiency improved"


# ----------------------------------------------------------------------------- gaps


@pytest.mark.parametrize("quote", [
    "The first is industry: [...] the ministry wrote.",
    "The first is industry: ... the ministry wrote.",
    "The first is industry: \u2026 the ministry wrote.",
    "The first is industry: [\u2026] the ministry wrote.",
    "The first is industry: . . . the ministry wrote.",
])
def test_editorial_gaps_join_parts_in_order(quote: str) -> None:
    result = verify_quote(ARTICLE_TEXT, quote)
    assert result.status == "verified"
    assert result.anchor is not None
    assert result.anchor.exact.startswith("The first is industry: \u201cAI must")
    assert result.anchor.exact.endswith("the ministry wrote.")
    assert len(result.parts) == 2
    assert [ARTICLE_TEXT[s:e] for s, e in result.parts] == ["The first is industry:",
                                                            "the ministry wrote."]


def test_a_bracketed_insertion_is_not_looked_for() -> None:
    result = verify_quote(ARTICLE_TEXT, "[China's] plan, published in March, sets out three")
    assert result.status == "verified"
    assert result.anchor is not None and result.anchor.exact.startswith("plan, published")
    result = verify_quote(ARTICLE_TEXT, "Officials expect [inference] to fall by 12% in 2025")
    assert result.status == "verified"


def test_gapped_parts_out_of_order_or_far_apart_are_not_found() -> None:
    reversed_parts = verify_quote(ARTICLE_TEXT, "the ministry wrote. [...] The first is industry:")
    assert reversed_parts.status != "verified" and not reversed_parts.found
    far = "The first is industry. " + "Filler words here. " * 20 + "The ministry agreed."
    assert verify_quote(far, "The first is industry. ... The ministry agreed.").status \
        == "not-found"
    near = "The first is industry. " + "Filler words here. " * 5 + "The ministry agreed."
    assert len(near) < MAX_GAP
    assert verify_quote(near, "The first is industry. ... The ministry agreed.").status \
        == "verified"


def test_a_quote_of_editorial_marks_only_is_not_found() -> None:
    result = verify_quote(ARTICLE_TEXT, "[...]")
    assert result.status == "not-found" and result.reason


# ----------------------------------------------------------------------------- candidate


def test_a_near_passage_is_a_candidate_never_verified() -> None:
    result = verify_quote(ARTICLE_TEXT, "Critics call it a race for modal perfection")
    assert result.status == "candidate" and not result.found
    assert result.anchor is not None
    assert result.anchor.exact == "Critics call it a race for model perfection"
    assert result.similarity is not None and result.similarity >= 90
    assert result.occurrences == 0


@pytest.mark.parametrize(("quote", "ours", "theirs"), [
    ("expect the cost of inference to fall by 21% in 2025", "21 2025", "12 2025"),
    ("expect the cost of inference to fall by 12% in 2026", "12 2026", "12 2025"),
])
def test_a_differing_number_is_never_a_candidate(quote: str, ours: str, theirs: str) -> None:
    result = verify_quote(ARTICLE_TEXT, quote)
    assert result.status == "not-found"
    assert result.reason == f"numbers differ: the quote has {ours}, the passage {theirs}"
    assert result.nearest is not None and "fall by 12% in 2025" in result.nearest.exact
    assert result.similarity is not None and result.similarity >= 90


def test_numbers_are_compared_as_numbers() -> None:
    assert numbers("2,000 firms, 1.5% and 15%; 1,5 in Europe; 2025-2026") == \
        ["2000", "1.5", "15", "1,5", "2025", "2026"]
    text = "Output rose to 2,000 units, a gain of 1.5 percent over the previous year."
    assert verify_quote(text, "Output rose to 2000 units, a gain of 1.5 percent over the "
                              "previous yaer").status == "candidate"
    assert verify_quote(text, "Output rose to 2,000 units, a gain of 15 percent over the "
                              "previous year").status == "not-found"


def test_a_short_quote_with_a_typo_is_no_candidate() -> None:
    result = verify_quote(ARTICLE_TEXT, "modal perfection")
    assert result.status == "not-found"
    assert result.reason is not None and "too short" in result.reason


def test_not_found_shows_the_nearest_passage_and_its_similarity() -> None:
    result = verify_quote(ARTICLE_TEXT, "Supporters say it is plainly the only race that matters")
    assert result.status == "not-found" and result.anchor is None
    assert result.nearest is not None and "only race that counts" in result.nearest.exact
    assert result.similarity is not None and 40 < result.similarity < 90
    assert ARTICLE_TEXT[result.nearest.start:result.nearest.end] == result.nearest.exact


# ----------------------------------------------------------------------------- occurrences

PAGES = ["Page one opens. Growth will double by 2030, the minister said.\n",
         "Page two. Nothing here.\n",
         "Page three. Growth will double by 2030, the minister said again.\n"]
PAGED_TEXT = "".join(PAGES)
PAGE_STARTS = [0, len(PAGES[0]), len(PAGES[0]) + len(PAGES[1])]


def test_page_locators_are_read() -> None:
    assert page_range("p. 4") == (4, 4)
    assert page_range("pp. 4-5") == (4, 5)
    assert page_range("page 12") == (12, 12)
    assert page_range("pages 7\u20139") == (7, 9)
    assert page_range("ch. 2, p. 14") == (14, 14)
    assert page_range("para. 3") is None and page_range("step 4") is None
    assert page_range(None) is None


def test_a_repeated_quote_counts_its_occurrences_and_warns() -> None:
    result = verify_quote(PAGED_TEXT, "Growth will double by 2030", page_starts=PAGE_STARTS)
    assert result.status == "verified" and result.occurrences == 2
    assert result.anchor is not None and result.anchor.page == 1
    assert result.warnings == ("the quote occurs 2 times; the first is anchored "
                               "(a page locator would choose)",)


def test_a_page_locator_chooses_among_occurrences() -> None:
    doc = Document(PAGED_TEXT, PAGE_STARTS)
    result = verify_quote(doc, "Growth will double by 2030", locator="p. 3")
    assert result.occurrences == 2 and result.warnings == ()
    assert result.anchor is not None and result.anchor.page == 3
    assert result.anchor.start == PAGED_TEXT.rindex("Growth")


def test_a_quote_on_another_page_than_its_locator_warns() -> None:
    doc = Document(PAGED_TEXT, PAGE_STARTS)
    result = verify_quote(doc, "Nothing here.", locator="pp. 1\u20132".replace("2", "1"))
    assert result.status == "verified"
    assert result.anchor is not None and result.anchor.page == 2
    assert result.warnings == ("the quote is on page 2, not on pp. 1\u20131 as the locator says",)


# ----------------------------------------------------------------------------- re-anchoring

P1 = "Paragraph one sets the scene: two superpowers, two strategies, one prize."
P2 = ("The ministry said exports of advanced chips would double by 2030, citing new "
      "capacity in three provinces.")
P3 = "Analysts doubted the forecast, noting that power grids lag behind demand."
P4 = "Paragraph four closes with the view from Washington and its frontier labs."
P5 = "Paragraph five is about talent: where the engineers are trained and where they go."
V1 = "\n\n".join([P1, P2, P3, P4, P5])


def anchor_of(text: str, passage: str) -> Anchor:
    result = verify_quote(text, passage)
    assert result.status == "verified" and result.anchor is not None
    return result.anchor


def test_an_untouched_passage_is_unchanged() -> None:
    assert reanchor(anchor_of(V1, P3), V1).outcome == "unchanged"


def test_moved_edited_and_deleted_paragraphs() -> None:
    edited_p3 = "Analysts doubted the forecast, noting that the power grids lag far behind demand."
    v2 = "\n\n".join([P1, P5, edited_p3, P4])  # P5 moved up, P3 edited, P2 deleted
    moved = reanchor(anchor_of(V1, P5), v2)
    assert moved.outcome == "moved" and moved.method == "exact"
    assert moved.anchor is not None and moved.anchor.start == v2.index(P5)

    changed = reanchor(anchor_of(V1, P3), v2)
    assert changed.outcome == "changed" and changed.anchor is not None
    assert changed.anchor.exact == edited_p3
    assert changed.similarity is not None and 80 < changed.similarity < 100

    deleted = reanchor(anchor_of(V1, P2), v2)
    assert deleted.outcome == "orphaned" and deleted.anchor is None

    same = reanchor(anchor_of(V1, P1), v2)
    assert same.outcome == "unchanged"


def test_a_passage_below_an_edit_is_unchanged_at_its_new_offset() -> None:
    v2 = V1.replace("two superpowers", "the two great superpowers of the age")
    result = reanchor(anchor_of(V1, P4), v2)
    assert result.outcome == "unchanged" and result.context == 100
    assert result.anchor is not None and result.anchor.start == v2.index(P4) != V1.index(P4)


def test_a_retyped_passage_is_changed_only_in_typography() -> None:
    v2 = V1.replace("two superpowers, two strategies, one prize",
                    "two super-\npowers,\u00a0two strategies,\n  one Prize")
    result = reanchor(anchor_of(V1, P1), v2)
    assert result.outcome == "changed" and result.method == "normalised"
    assert result.anchor is not None and result.anchor.exact.endswith("\n  one Prize.")


def test_a_lookalike_sentence_elsewhere_is_never_a_confident_match() -> None:
    lookalike = ("The ministry said imports of advanced chips would double by 2030, citing new "
                 "capacity in three provinces.")
    # P2 is gone; a sentence much like it stands in another paragraph's place.
    note = "A separate note on trade flows follows here. "
    v2 = "\n\n".join([P1, P3, P4, note + lookalike, P5])
    result = reanchor(anchor_of(V1, P2), v2)
    assert result.outcome == "orphaned" and result.anchor is None
    assert result.method == "context"  # P1 and P3 now meet: what stood between them is gone
    # Without its old neighbours to tell, only the fuzzy match is left, and it needs context.
    v2 = "\n\n".join([P3, P4, note + lookalike, P5])
    result = reanchor(anchor_of(V1, P2), v2)
    assert result.outcome in ("orphaned", "ambiguous") and result.anchor is None
    assert result.method == "fuzzy"
    assert result.candidates and "imports" in result.candidates[0].exact
    assert result.similarity is not None and result.similarity > 90
    # With its old surroundings around it, the same edit is a change in place.
    v3 = V1.replace(P2, lookalike)
    in_place = reanchor(anchor_of(V1, P2), v3)
    assert in_place.outcome == "changed" and in_place.anchor is not None
    assert in_place.anchor.exact == lookalike


def test_a_repeated_passage_is_placed_by_its_context() -> None:
    refrain = "The same refrain closes this paragraph."
    v1 = "\n\n".join([P1 + " " + refrain, P3 + " " + refrain, P5])
    old = Document(v1).anchor(v1.rindex(refrain), v1.rindex(refrain) + len(refrain))
    v2 = "\n\n".join([P3 + " " + refrain, P1 + " " + refrain, P5])  # the paragraphs swap
    result = reanchor(old, v2)
    # Its paragraph moved with it: still after P3's words, so the passage itself is unchanged.
    assert result.outcome == "unchanged" and result.anchor is not None
    assert result.anchor.start == v2.index(refrain)  # after P3, as before
    assert result.context is not None and result.context > 65


def test_a_repeated_passage_in_identical_surroundings_is_ambiguous() -> None:
    block = "Intro text for the block. The same refrain. Outro text after it."
    old = Document("x " + block).anchor(
        2 + block.index("The same"), 2 + block.index("The same") + len("The same refrain."))
    result = reanchor(old, block + "\n\n" + block)
    assert result.outcome == "ambiguous" and result.anchor is None
    assert len(result.candidates) == 2


def test_a_passage_rewritten_beyond_recognition_is_orphaned() -> None:
    v2 = V1.replace(P2, "Something else entirely now stands here, about the weather.")
    result = reanchor(anchor_of(V1, P2), v2)
    assert result.outcome == "orphaned" and result.anchor is None


# ----------------------------------------------------------------------------- the seed


def seed_quotes() -> list[tuple[str, str, str, str | None]]:
    """(what, source, quote, locator) for every quote in the seed: claims' and evidence's."""
    seed = json.loads((REPO / "seeds" / "npr_2026_ai_divergence.json").read_text())
    quotes = [(f"claim {c['ref']}", c["source"], c["quote"], c.get("locator"))
              for c in seed["claims"] if c.get("quote")]
    quotes += [(f"evidence for {e['claim']}", e["source"], e["quote"], e.get("locator"))
               for e in seed["evidence"] if e.get("quote") and e.get("source")]
    return quotes


def test_every_seed_quote_verifies_against_the_article() -> None:
    # The article is the stored text of ainews2026great; npr2026china is known only through
    # it, so its quotes are checked against the same text.
    article = Document(ARTICLE.read_text(encoding="utf-8"))
    quotes = seed_quotes()
    assert len(quotes) >= 42
    assert {source for _, source, _, _ in quotes} == {"ainews2026great", "npr2026china"}
    failures = []
    for what, _source, quote, locator in quotes:
        result = verify_quote(article, quote, locator)
        if not result.found:
            near = result.nearest.exact if result.nearest else ""
            failures.append(f"{what}: {result.status} ({result.reason}; nearest "
                            f"{result.similarity}: {near!r})")
    assert failures == []


def test_two_edited_copies_in_like_surroundings_are_ambiguous() -> None:
    block = ("Opening words of the section on trade. The ministry said exports of chips "
             "would double by 2030, citing new capacity. Closing words of the section on trade.")
    old = anchor_of(block, "The ministry said exports of chips would double by 2030")
    copy = block.replace("Opening words", "Opening remarks").replace("exports", "sales")
    by_context = reanchor(old, block.replace("exports", "sales") * 2)
    assert by_context.outcome == "ambiguous" and by_context.method == "context"
    fuzzy = reanchor(old, copy + "\n\n" + copy)
    assert fuzzy.outcome == "ambiguous" and fuzzy.method == "fuzzy"
    assert fuzzy.anchor is None and len(fuzzy.candidates) == 2


def test_results_are_plain_data_for_json() -> None:
    result = verify_quote(ARTICLE_TEXT, "The second is cost.")
    data = json.loads(json.dumps(result.to_dict()))
    assert data["status"] == "verified" and data["anchor"]["exact"] == "The second is cost."
    assert data["normaliser_version"] == NORMALISER_VERSION
    moved = reanchor(Anchor(**data["anchor"]), "New opening. " + ARTICLE_TEXT)
    assert json.loads(json.dumps(moved.to_dict()))["outcome"] == "unchanged"
