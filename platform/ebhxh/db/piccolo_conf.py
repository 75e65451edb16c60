"""Piccolo's configuration module (`PICCOLO_CONF=ebhxh.db.piccolo_conf`) for migrations.

Piccolo's migration runner finds its engine through this module, so it is built from the
same settings the app uses.
"""

from __future__ import annotations

from piccolo.conf.apps import AppRegistry

from ebhxh.db.engine import build_engine
from ebhxh.settings import Settings

DB = build_engine(Settings.from_env())

APP_REGISTRY = AppRegistry(apps=["ebhxh.db.piccolo_app"])
