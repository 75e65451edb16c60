"""What several commands share: reading settings with a clear error, running coroutines."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import click

from ebhxh.db.engine import bind_engine, build_engine, close_engine, open_engine
from ebhxh.settings import Settings, SettingsError

T = TypeVar("T")


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(f"Invalid EBHXH_* setting: {exc}") from exc


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


async def with_database(settings: Settings, work: Coroutine[Any, Any, T]) -> T:
    """Run `work` with every table bound to the configured database."""
    engine = build_engine(settings)
    bind_engine(engine)
    await open_engine(engine)
    try:
        return await work
    finally:
        await close_engine(engine)
