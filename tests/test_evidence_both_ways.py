"""A claim shows the evidence for it and the evidence it gives for other claims."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.conftest import KB


def test_claim_show_lists_evidence_for_other_claims(seeded: KB) -> None:
    supports = int(seeded.ok("evidence", "add", "1", "--supports", "--claim", "42"))
    refutes = int(seeded.ok("evidence", "add", "2", "--refutes", "--claim", "42", "--quote",
                            "not so"))
    shown = json.loads(seeded.ok("claim", "show", "42", "--format", "json"))
    given = {(e["id"], e["relation"], e["claim"], e["claim_source"], e["quote"])
             for e in shown["evidence_for_other_claims"]}
    assert given == {(supports, "supports", 1, "ainews2026great", None),
                     (refutes, "refutes", 2, "ainews2026great", "not so")}
    target = json.loads(seeded.ok("claim", "show", "1", "--format", "json"))
    link = next(e for e in target["evidence"] if e["id"] == supports)
    assert (link["claim"], link["claim_source"], link["source"]) == (42, "npr2026china", None)


def test_claim_show_table_names_the_source_of_evidence_claims(seeded: KB) -> None:
    seeded.ok("evidence", "add", "1", "--supports", "--claim", "42")
    table = seeded.ok("claim", "show", "1")
    section = table[table.index("evidence for this claim:"):]
    row = next(line for line in section.splitlines() if line.split()[-1:] == ["42"])
    assert row.split()[1:3] == ["supports", "npr2026china"]
    other = seeded.ok("claim", "show", "42")
    section = other[other.index("evidence for other claims:"):]
    assert section.splitlines()[2].split()[1:4] == ["supports", "ainews2026great", "1"]
