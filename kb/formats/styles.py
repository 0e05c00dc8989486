"""Formatted references (APA, Chicago, MLA, IEEE, Harvard), rendered by pandoc's citeproc.

citeproc-py repeats the title of author-less items in APA and MLA, abbreviates given names in
Chicago and MLA, drops string dates and does not escape its HTML; pandoc's citeproc gets all
of these right and is the reference the tests compare against, so kb renders through pandoc.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

STYLES_DIR = Path(__file__).resolve().parent.parent / "styles"
STYLES = {
    "apa": "apa.csl",
    "chicago-author-date": "chicago-author-date.csl",
    "mla": "modern-language-association.csl",
    "ieee": "ieee.csl",
    "harvard": "harvard-cite-them-right.csl",
}
ALIASES = {"chicago": "chicago-author-date", "apa7": "apa",
           "modern-language-association": "mla", "harvard-cite-them-right": "harvard"}


class RenderError(RuntimeError):
    pass


def style_path(name: str) -> Path:
    """A bundled style by name, or a .csl file of the user's."""
    key = ALIASES.get(name.lower(), name.lower())
    if key in STYLES:
        return STYLES_DIR / STYLES[key]
    path = Path(name).expanduser()
    if path.suffix == ".csl" and path.is_file():
        return path
    raise LookupError(f"expected one of {', '.join(STYLES)} or a .csl file")


def render(items: list[dict[str, Any]], style: Path, html: bool = False) -> str:
    """The bibliography of these CSL-JSON items, as plain text or an HTML fragment."""
    if not items:
        return ""
    pandoc = shutil.which("pandoc")
    if pandoc is None:
        raise RenderError("formatted references need pandoc on the PATH "
                          "(Debian/Ubuntu: apt-get install pandoc)")
    with tempfile.TemporaryDirectory(prefix="kb-cite-") as tmp:
        bibliography = Path(tmp) / "items.json"
        bibliography.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
        result = subprocess.run(
            [pandoc, "--citeproc", "--csl", str(style), "--bibliography", str(bibliography),
             "--from", "markdown", "--to", "html" if html else "plain", "--wrap", "none"],
            input="---\nnocite: |\n  @*\n---\n", capture_output=True, text=True, check=False,
        )
    if result.returncode != 0:
        raise RenderError(f"pandoc failed: {result.stderr.strip().splitlines()[-1]}")
    return result.stdout.strip() + "\n"
