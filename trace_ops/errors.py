"""Every error trace_ops raises on purpose derives from TraceOpsError, so callers can catch one type."""

from __future__ import annotations


class TraceOpsError(Exception):
    """Base class of all trace_ops errors."""


class CassetteError(TraceOpsError):
    """A cassette file is missing, unreadable, or not a valid trace_ops cassette.

    The message is one line: the path, what is wrong, and where.
    """


class CassetteWriteError(CassetteError):
    """A recording could not be saved (an unwritable directory, a full disk): the path and why."""


class RedactionCollisionError(CassetteWriteError):
    """Calls that differ only inside a redacted secret, which replay could not tell apart: they
    were saved as not recorded. The message names the cassette, the calls and what to do."""


class CassetteNotFoundError(CassetteError, FileNotFoundError):
    """Replay was asked for a cassette that does not exist."""


class CassetteMismatchError(TraceOpsError):
    """A call made during replay has no matching recorded call; the message shows the closest one."""


class RecordModeError(TraceOpsError, ValueError):
    """An unknown record mode, or a record mode that is not allowed here."""


class BudgetExceededError(TraceOpsError, AssertionError):
    """A test's trace broke its `@pytest.mark.budget` limits; the message lists figure vs limit."""
