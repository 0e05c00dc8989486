"""Partial dates: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, each standing for its whole span.

dateutil fills a missing month or day from today, which turns "2025" into one arbitrary day;
a researcher's "2025" means the whole year, so kb keeps the precision and the span.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
import time
from dataclasses import dataclass
from typing import Any

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


# Source dates: EDTF ------------------------------------------------------------------------------
#
# A claim's date is a plain partial date (above). A source's date is whatever a library holds: a
# BCE year, a range, a season, a circa year, unspecified digits. kb keeps it as EDTF (ISO 8601-2,
# the Library of Congress's Extended Date/Time Format, which biblatex's `date` field speaks), or,
# when no EDTF form exists ("13th cent"), as the literal text. The span is kept beside it as day
# numbers: Python's proleptic Gregorian ordinal (0001-01-01 is 1), extended below 1 for BCE days,
# because neither Python's `date` nor SQLite's date functions reach before year 1.

EDTF_EXAMPLES = "2025, 2025-07-22, -0333, 1985-21, 1850~, 199X or 2014-12-31/2015-01-01"
_PLAIN = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
_UNIX_EPOCH_ORDINAL = 719163  # dt.date(1970, 1, 1).toordinal()


def day_number(year: int, month: int, day: int) -> int:
    """The proleptic Gregorian ordinal of a day of any (astronomical) year, BCE included."""
    # Howard Hinnant's days_from_civil: exact for every year, negative ones included.
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468 + _UNIX_EPOCH_ORDINAL


@dataclass(frozen=True)
class SourceDate:
    """A source's issued (or accessed) date: EDTF, or a literal when EDTF cannot say it."""

    edtf: str | None = None
    literal: str | None = None

    def __str__(self) -> str:
        return self.edtf or self.literal or ""

    def plain(self) -> PartialDate | None:
        """The date as a claim may carry it (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`), else None."""
        if self.edtf is None or not _PLAIN.fullmatch(self.edtf):
            return None
        try:
            return parse_date(self.edtf)
        except Invalid:
            return None

    def span(self) -> tuple[int | None, int | None]:
        """First and last day (day numbers); None at an open or unknown end, or for a literal."""
        return _span(self.edtf) if self.edtf is not None else (None, None)

    @property
    def year(self) -> int | None:
        """The (astronomical) year the span starts in, for BibTeX's `year` and keys."""
        if self.edtf is None:
            return None
        for side in self.edtf.split("/"):
            match = _SIMPLE.fullmatch(side)
            if match:
                return int(match.group(1) + match.group(2))
        parsed = _parse_edtf(self.edtf)
        for bound in (parsed.lower_strict(), parsed.upper_strict()):
            if isinstance(bound, time.struct_time):
                return int(bound.tm_year)
        return None


# The forms real libraries mostly hold, computed here: the edtf package's parser (pyparsing)
# takes ~35 ms a date, 3 s for a library of 90 entries. It decides the rest (199X, level 2).
_SIMPLE = re.compile(r"(-?)(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?([~?%]?)")
_SEASONS = {21: (3, 5), 22: (6, 8), 23: (9, 11), 24: (12, 14)}  # winter runs into February


def _days_in(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _simple_bounds(side: str) -> tuple[int, int] | None:
    """The span of one simple EDTF date; None when it is not one; ValueError when invalid."""
    match = _SIMPLE.fullmatch(side)
    if not match:
        return None
    sign, digits, month_text, day_text, _qualifier = match.groups()
    year = int(sign + digits)
    if sign and year == 0:
        raise ValueError("-0000 is no year")
    if month_text is None:
        return day_number(year, 1, 1), day_number(year, 12, 31)
    month = int(month_text)
    if month in _SEASONS and day_text is None:
        first, last = _SEASONS[month]
        end_year, end_month = (year + 1, last - 12) if last > 12 else (year, last)
        return (day_number(year, first, 1),
                day_number(end_year, end_month, _days_in(end_year, end_month)))
    if not 1 <= month <= 12:
        return None  # level 2 seasons and the like: the edtf package decides
    if day_text is None:
        return day_number(year, month, 1), day_number(year, month, _days_in(year, month))
    day = int(day_text)
    if not 1 <= day <= _days_in(year, month):
        raise ValueError(f"day {day} is not in that month")
    return day_number(year, month, day), day_number(year, month, day)


@functools.lru_cache(maxsize=4096)  # parsed to check a date, then again to store its span
def _span(edtf: str) -> tuple[int | None, int | None]:
    sides = edtf.split("/")
    if len(sides) <= 2:
        bounds = [(None, None) if side in ("", "..") and len(sides) == 2
                  else _simple_bounds(side) for side in sides]
        if all(b is not None for b in bounds):
            return bounds[0][0], bounds[-1][1]  # type: ignore[index]
    parsed = _parse_edtf(edtf)
    return _day_of(parsed.lower_strict()), _day_of(parsed.upper_strict())


@functools.lru_cache(maxsize=1024)
def _parse_edtf(text: str) -> Any:
    from edtf import parse_edtf
    from edtf.parser.edtf_exceptions import EDTFParseException

    try:
        return parse_edtf(text)
    except (EDTFParseException, ValueError, TypeError) as exc:
        raise ValueError(str(exc)) from None


def _day_of(bound: Any) -> int | None:
    if not isinstance(bound, time.struct_time):
        return None  # an open end ("..") comes back as infinity
    return day_number(bound.tm_year, bound.tm_mon, bound.tm_mday)


def parse_source_date(value: str, field: str = "date") -> SourceDate:
    """An EDTF date (which includes `YYYY`, `YYYY-MM`, `YYYY-MM-DD`), refused naming the field."""
    text = value.strip()
    try:
        if not text:
            raise ValueError("empty")
        date = SourceDate(edtf=text)
        start, end = date.span()
    except (ValueError, OverflowError):
        raise Invalid(field, value, f"expected an EDTF date such as {EDTF_EXAMPLES}") from None
    if start is not None and end is not None and start > end:
        raise Invalid(field, value, "the range ends before it starts")
    return date


def parse_source_date_optional(value: str | None, field: str = "date") -> SourceDate | None:
    return None if value is None or value.strip() == "" else parse_source_date(value, field)


def plain_date(edtf: str | None) -> PartialDate | None:
    """A source's stored date as a claim's fallback: only when it is a plain date."""
    return SourceDate(edtf=edtf).plain() if edtf else None
