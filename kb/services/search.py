"""Full-text search: kb's small query language, checked, then handed to the backend.

The language: words (all must match), "exact phrases", OR between alternatives, NOT before
what must not match, and a trailing * for a prefix (`semicon*`). Every word is quoted before
it reaches FTS5, so punctuation such as "U.S." can never be a syntax error there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, column, func, literal, literal_column, select, table, text

from kb.errors import Invalid

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from sqlalchemy.sql import ColumnElement, Select

_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_OPERATORS = {"OR", "NOT", "AND"}


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or the words of a phrase
    prefix: bool = False


Token = Term | str  # a Term, or one of "OR", "NOT", "AND"


def _words(text: str) -> tuple[str, ...]:
    return tuple(w for w in re.findall(r"\w+", text.casefold()))


def parse(query: str) -> list[Token]:
    """The tokens of a query; anything malformed is refused naming the query."""
    if query.count('"') % 2:
        raise Invalid("search", query, "a phrase is missing its closing quote")
    tokens: list[Token] = []
    for phrase, word in _TOKEN.findall(query):
        if word and word in _OPERATORS:
            tokens.append(word)
            continue
        prefix = bool(word) and word.endswith("*")
        words = _words(phrase if not word else word.rstrip("*"))
        if not words:
            if phrase or prefix:
                raise Invalid("search", query, "a phrase or prefix has no words")
            continue  # punctuation alone: nothing to match
        if prefix and len(words) > 1:
            tokens.extend(Term((w,)) for w in words[:-1])
            words = words[-1:]
        tokens.append(Term(words, prefix))
    if not any(isinstance(t, Term) for t in tokens):
        raise Invalid("search", query, "no words to search for")
    for before, after in zip([None, *tokens], [*tokens, None], strict=True):
        if isinstance(after, str) and after != "NOT" and not isinstance(before, Term):
            raise Invalid("search", query, f"{after} needs words on both sides")
        if isinstance(before, str) and not isinstance(after, Term) and after != "NOT":
            raise Invalid("search", query, f"{before} needs words after it")
    if tokens[0] == "NOT":
        raise Invalid("search", query, "NOT needs words before it (e.g. chips NOT Nvidia)")
    return tokens


def to_fts5(tokens: list[Token]) -> str:
    parts = []
    for token in tokens:
        if isinstance(token, str):
            parts.append(token)
        else:
            quoted = '"' + " ".join(token.words) + '"'
            parts.append(quoted + ("*" if token.prefix else ""))
    return " ".join(parts)


def to_tsquery(tokens: list[Token]) -> str:
    """PostgreSQL's to_tsquery syntax, every lexeme quoted."""
    parts: list[str] = []
    for token in tokens:
        if token == "OR":
            parts.append("|")
        elif token == "AND":
            parts.append("&")
        elif token == "NOT":
            parts.append("& !")
        else:
            assert isinstance(token, Term)
            if parts and parts[-1] not in ("|", "&", "& !"):
                parts.append("&")
            lexemes = [f"'{w}'" for w in token.words]
            if token.prefix:
                lexemes[-1] += ":*"
            parts.append("(" + " <-> ".join(lexemes) + ")")
    return " ".join(parts)


def matches(session: Session, query: str, best: int | None = None, ranked: bool = True
            ) -> Select[tuple[int, float]]:
    """(claim id, rank) for every claim matching `query`, lower rank better; with `best`,
    the first `best` of them by (rank, newest added) — chosen after ranking every match.
    Not `ranked`: by newest added alone, which the index reads newest first and stops.

    Ranking only the newest few matches would miss the best match of an archive; what ranking
    them all costs is in bench/RESULTS.md."""
    tokens = parse(query)
    if session.get_bind().dialect.name == "postgresql":
        fts = table("claim_fts", column("claim_id"), column("document"))
        tsquery = func.to_tsquery("kb_search", to_tsquery(tokens))
        rank: ColumnElement[float] = -func.ts_rank(fts.c.document, tsquery)
        key = fts.c.claim_id
        found = select(key.label("claim_id"), rank.label("rank")).where(
            fts.c.document.op("@@")(tsquery))
    else:
        fts = table("claim_fts", column("rowid"))
        rank = literal_column("rank")
        key = fts.c.rowid
        found = select(key.label("claim_id"), rank.label("rank")).where(
            text("claim_fts MATCH :fts_query").bindparams(fts_query=to_fts5(tokens)))
    if not ranked:  # no score read: ranking is what costs (~2 us a match)
        found = found.with_only_columns(key.label("claim_id"), literal(0.0).label("rank"))
    if best is not None:
        # Ordered inside the index's query, SQLite sorts (rank, rowid) pairs alone (2.5x
        # faster at 100k than sorting after the join with claim). A literal LIMIT: STYLE §9.
        found = found.order_by(*([rank] if ranked else []), key.desc()).limit(
            bindparam("best", best, literal_execute=True))
    return found


def highlighter(query: str) -> re.Pattern[str] | None:
    """A pattern for the words a query matched, to highlight them in table output; None for
    a query with no words to show (NOT terms alone)."""
    words = []
    for token in parse(query):
        if isinstance(token, Term):
            words += [re.escape(w) + (r"\w*" if token.prefix and i == len(token.words) - 1
                                      else "")
                      for i, w in enumerate(token.words)]
    if not words:
        return None
    return re.compile(r"\b(" + "|".join(sorted(words, key=len, reverse=True)) + r")\b",
                      re.IGNORECASE)
