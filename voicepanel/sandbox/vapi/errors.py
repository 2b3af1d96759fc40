"""VAPI-shaped error answers: the status code and the JSON body the cloud API sends."""

from __future__ import annotations

from http import HTTPStatus

from aiohttp import web


class VapiApiError(Exception):
    """A request the API refuses; `message` tells the caller what is wrong (a list of
    sentences for a body that fails VAPI's schema, as VAPI's validation answers)."""

    def __init__(self, status: int, message: str | list[str]) -> None:
        super().__init__(message if isinstance(message, str) else "; ".join(message))
        self.status = status
        self.message = message


def bad_request(message: str) -> VapiApiError:
    return VapiApiError(400, message)


def invalid(problems: list[str]) -> VapiApiError:
    """A body that breaks VAPI's schema: 400 with every problem found."""
    return VapiApiError(400, problems)


def not_found(message: str) -> VapiApiError:
    return VapiApiError(404, message)


def error_response(error: VapiApiError) -> web.Response:
    """`{"message", "error", "statusCode"}`, the NestJS shape VAPI answers errors with."""
    body = {
        "message": error.message,
        "error": HTTPStatus(error.status).phrase,
        "statusCode": error.status,
    }
    return web.json_response(body, status=error.status)
