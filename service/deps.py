"""Request-scoped access to the application facade built by the lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from aitrader_core.app import App


def _core(request: Request) -> App:
    core: App = request.app.state.core
    return core


Core = Annotated[App, Depends(_core)]
