"""Partial dates: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, each standing for its whole span.

dateutil fills a missing month or day from today, which turns "2025" into one arbitrary day;
a researcher's "2025" means the whole year, so kb keeps the precision and the span.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from kb.errors import Invalid

_PATTERN = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


@dataclass(frozen=True)
class PartialDate:
    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> str:
        return "day" if self.day else "month" if self.month else "year"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    @property
    def end(self) -> dt.date:
        if self.day:
            return self.start
        month = self.month or 12
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    def parts(self) -> list[int]:
        """The CSL `date-parts` form: [year], [year, month] or [year, month, day]."""
        return [p for p in (self.year, self.month, self.day) if p is not None]

    def __str__(self) -> str:
        text = f"{self.year:04d}"
        if self.month:
            text += f"-{self.month:02d}"
        if self.day:
            text += f"-{self.day:02d}"
        return text


def parse_date(value: str, field: str = "date") -> PartialDate:
    """Parse `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; anything else is refused naming the field."""
    text = value.strip()
    match = _PATTERN.fullmatch(text)
    if not match:
        raise Invalid(field, value, "expected YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    if year < 1:
        raise Invalid(field, value, "year must be 1 or later")
    if month is not None and not 1 <= month <= 12:
        raise Invalid(field, value, "month must be between 1 and 12")
    if month is not None and day is not None:
        last = calendar.monthrange(year, month)[1]
        if not 1 <= day <= last:
            raise Invalid(field, value, f"day must be between 1 and {last} in that month")
    return PartialDate(year, month, day)


def parse_optional(value: str | None, field: str = "date") -> PartialDate | None:
    return None if value is None or value.strip() == "" else parse_date(value, field)
