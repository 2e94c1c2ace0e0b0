"""Bearer-token authentication for every route that changes state.

The token is ``AITRADER_API_TOKEN``; it is compared in constant time. With no
token configured, mutating routes answer 401 too (and say how to set one):
nobody trades anonymously.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

_bearer = HTTPBearer(auto_error=False, description="AITRADER_API_TOKEN")


def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The caller's identity for the journal (``token``), or 401."""
    expected = request.app.state.core.settings.api_token
    challenge = {"WWW-Authenticate": "Bearer"}
    if expected is None:
        raise HTTPException(
            401, "no API token is configured: set AITRADER_API_TOKEN to allow changes", challenge
        )
    given = credentials.credentials if credentials is not None else ""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "missing bearer token (Authorization: Bearer <token>)", challenge)
    if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise HTTPException(401, "invalid token", challenge)
    return "operator:api"


Operator = Annotated[str, Depends(require_token)]
