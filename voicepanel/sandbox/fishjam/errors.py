"""Errors the Fishjam REST API answers with: an HTTP status and a message for `{"errors": ...}`."""

from __future__ import annotations

from http import HTTPStatus


class ApiError(Exception):
    """A request the sandbox refuses, as Fishjam would: status plus a readable message."""

    status: HTTPStatus = HTTPStatus.INTERNAL_SERVER_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(ApiError):
    status = HTTPStatus.BAD_REQUEST


class Unauthorized(ApiError):
    status = HTTPStatus.UNAUTHORIZED


class NotFound(ApiError):
    status = HTTPStatus.NOT_FOUND


class Conflict(ApiError):
    status = HTTPStatus.CONFLICT
