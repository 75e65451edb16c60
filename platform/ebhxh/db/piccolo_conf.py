"""Piccolo's configuration module (`PICCOLO_CONF=ebhxh.db.piccolo_conf`) for migrations.

Piccolo's migration runner finds its engine through this module, so it is built from the
same settings the app uses, as the owner role (`database_owner_url`) when one is set.
"""

from __future__ import annotations

from piccolo.conf.apps import AppRegistry

from ebhxh.db.engine import build_engine
from ebhxh.settings import Settings

_SETTINGS = Settings.from_env()

DB = build_engine(_SETTINGS, url=_SETTINGS.database_owner_url)

APP_REGISTRY = AppRegistry(apps=["ebhxh.db.piccolo_app"])
