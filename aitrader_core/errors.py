"""The project's exception types.

Every error a user can cause derives from :class:`AITraderError`; the CLI turns
it into one line and a non-zero exit, the service into a 4xx with its message.
"""

from __future__ import annotations


class AITraderError(Exception):
    """Base class of every error the project raises on purpose."""


class ConfigError(AITraderError):
    """A setting or a configuration file is invalid."""


class FormatError(AITraderError):
    """A data file cannot be parsed in the format given or detected."""


class ValidationError(AITraderError):
    """Input failed validation; ``field`` and ``row`` say where, when known.

    Examples
    --------
    >>> str(ValidationError("must be ≥ 0", field="volume", row=3))
    'row 3, volume: must be ≥ 0'
    """

    def __init__(self, message: str, *, field: str | None = None, row: int | None = None):
        self.message = message
        self.field = field
        self.row = row
        where = ", ".join(
            part for part in (f"row {row}" if row is not None else None, field) if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class NotFoundError(AITraderError):
    """A requested object does not exist."""


class ExchangeError(AITraderError):
    """An exchange could not be reached or refused a request after retries."""
