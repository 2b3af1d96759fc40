"""The one error type the app shows to people: what failed, what to try, and the cause."""

from __future__ import annotations

import asyncio
import logging


class VoicePanelError(Exception):
    """A failure a person can read.

    ``message`` says what failed, ``hint`` what to try; ``status`` is the HTTP status
    when a server answered, and ``__cause__`` keeps the original exception for the log.
    """

    def __init__(
        self,
        message: str,
        hint: str = "",
        *,
        status: int | None = None,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.status = status
        if cause is not None:
            self.__cause__ = cause

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


def failure_of(result: object, what: str) -> VoicePanelError | None:
    """One result of ``asyncio.gather(..., return_exceptions=True)`` as the failure a person
    is shown (None for a success). A cancellation is raised again; an unexpected exception
    is logged with its traceback and becomes "Could not {what}."."""
    if isinstance(result, VoicePanelError):
        return result
    if not isinstance(result, BaseException):
        return None
    if isinstance(result, asyncio.CancelledError):
        raise result
    logging.getLogger(__name__).error("Could not %s", what, exc_info=result)
    return VoicePanelError(f"Could not {what}.", cause=result)
