"""Reading a JSON request body from the public internet: bounded in size before parsing, and refused (never a 500)
when it is too deep, not an object, or carries text no encoder can pass on (a lone UTF-16 surrogate)."""
from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

MAX_DEPTH = 32


class BodyTooLarge(Exception):
    """The request body is larger than the endpoint accepts (answer 413)."""


class BadJson(ValueError):
    """The body is not a JSON object we accept (answer 400); the message is safe to log."""


async def read_limited(request: Request, limit: int) -> bytes:
    """The request body, read in chunks and abandoned as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"declared {declared} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"more than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _check(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise BadJson("nested too deeply")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise BadJson("text with a lone surrogate") from exc
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, depth + 1)
            _check(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)


def load_json_object(body: bytes) -> dict[str, Any]:
    """Decode a JSON object; BadJson for invalid UTF-8 or JSON, deep nesting, lone surrogates or a non-object."""
    try:
        data = json.loads(body)
    except RecursionError as exc:
        raise BadJson("nested too deeply") from exc
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise BadJson(f"not JSON ({type(exc).__name__})") from exc
    if not isinstance(data, dict):
        raise BadJson("not a JSON object")
    _check(data, 0)
    return data
