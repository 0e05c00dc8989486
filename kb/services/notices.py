"""Things a command did that the user should hear of (a new theme), said after it commits.

Services never print; they leave a notice on the session, and the CLI prints the notices on
stderr once the transaction has committed, so a refused command announces nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_KEY = "kb.notices"


def add(session: Session, kind: str, notice: str) -> None:
    """`kind` groups notices ("theme") so that many of one kind can be told as a count."""
    session.info.setdefault(_KEY, []).append((kind, notice))


def of(session: Session) -> list[tuple[str, str]]:
    return list(session.info.get(_KEY, []))
