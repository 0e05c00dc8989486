"""The errors services raise; the CLI turns each into one line on stderr and an exit code."""

from __future__ import annotations

# The largest id, limit or offset kb takes: PostgreSQL's INTEGER, what kb's ids are stored as
# (SQLite's hold more; Python's ints any: a larger number is refused where it is read, not
# left to overflow in the database driver).
LARGEST_INTEGER = 2**31 - 1


class KBError(Exception):
    """A refused operation (exit 1)."""

    exit_code = 1


class NotFound(KBError):
    """A key or id names nothing in the database."""


class Conflict(KBError):
    """The operation would duplicate or orphan something."""


class Invalid(KBError):
    """A value given by the user cannot be used (exit 2, like any usage error)."""

    exit_code = 2

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field, self.value, self.reason = field, value, reason
        super().__init__(f"invalid {field} {value!r}: {reason}")


class Busy(KBError):
    """Another process holds the write lock for longer than the busy timeout."""
