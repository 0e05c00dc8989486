"""The Markdown brief: each claim with the evidence behind its standing, in a chosen style."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import KB

# CI installs pandoc and never skips; elsewhere its absence is a reason to skip.
needs_pandoc = pytest.mark.skipif(shutil.which("pandoc") is None and not os.environ.get("CI"),
                                  reason="pandoc comes from a Debian package (.ci/run installs it)")


def contested(seeded: KB) -> str:
    """Claim 1 of the seed, supported by the NPR analysis and now refuted by an essay."""
    key = seeded.ok("source", "add", "--title", "One race, not two", "--author", "Doe, Jane",
                    "--date", "2026-03", "--publisher", "Foreign Affairs").strip()
    seeded.ok("evidence", "add", "1", "--refutes", "--source", key, "--quote",
              "It is one race, run on two tracks", "--locator", "p. 3")
    return key


def test_brief_lists_the_evidence_for_and_against_each_claim(seeded: KB, tmp_path: Path
                                                              ) -> None:
    key = contested(seeded)
    brief = tmp_path / "brief.md"
    seeded.ok("export", "claims", "--status", "contested", "--format", "markdown", "-o",
              str(brief))
    text = brief.read_text()
    assert "Standing: contested" in text
    supported = text.index("Supported by:")
    refuted = text.index("Refuted by:")
    assert supported < refuted
    assert f"- “It is one race, run on two tracks” [@{key}, p. 3]" in text[refuted:]
    assert "[@npr2026china" in text[supported:refuted]
    assert key in (tmp_path / "brief.json").read_text()  # counter-evidence is in the bibliography


def test_evidence_from_another_claim_is_quoted_and_cited_by_its_source(seeded: KB,
                                                                      tmp_path: Path) -> None:
    seeded.ok("evidence", "add", "2", "--qualifies", "--claim", "42")
    brief = tmp_path / "brief.md"
    seeded.ok("export", "claims", "--source", "ainews2026great", "--format", "markdown", "-o",
              str(brief))
    text = brief.read_text()
    after = text[text.index("Qualified by:"):]
    assert "[@npr2026china" in after.splitlines()[2]


@needs_pandoc
def test_brief_style_is_named_written_beside_it_and_used_by_pandoc(seeded: KB, tmp_path: Path
                                                                   ) -> None:
    contested(seeded)
    brief = tmp_path / "brief.md"
    result = seeded("export", "claims", "--status", "contested", "--format", "markdown",
                    "--style", "ieee", "-o", str(brief))
    assert result.exit_code == 0, result.output
    assert "csl: ieee.csl" in brief.read_text()
    assert (tmp_path / "ieee.csl").exists()
    rendered = subprocess.run(["pandoc", "--citeproc", "--fail-if-warnings", "brief.md", "-t",
                               "plain"], cwd=tmp_path, capture_output=True, text=True,
                              check=False)
    assert rendered.returncode == 0, rendered.stderr
    assert "[1]" in rendered.stdout  # IEEE numbers its citations; the default would not
    assert "It is one race, run on two tracks" in rendered.stdout


def test_unknown_brief_style_is_refused_and_nothing_written(seeded: KB, tmp_path: Path) -> None:
    brief = tmp_path / "brief.md"
    result = seeded("export", "claims", "--format", "markdown", "--style", "vancouverish",
                    "-o", str(brief))
    assert result.exit_code == 2
    assert result.stderr.strip() == ("Error: invalid style 'vancouverish': expected one of apa, "
                                     "chicago-author-date, mla, ieee, harvard or a .csl file")
    assert not brief.exists()
