"""The plugin system: pluggy hook specifications and the entry-point loader.

Plugin authors import `hookimpl` from here and implement hooks from
`ebhxh.plugins.hookspecs`; they ship as a distribution with an `[project.entry-points.ebhxh]`
table pointing at the module that holds the implementations.
"""

import pluggy

PROJECT_NAME = "ebhxh"
ENTRY_POINT_GROUP = "ebhxh"

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Decorate a plugin's functions with this to implement an eBHXH hook."""

__all__ = ["ENTRY_POINT_GROUP", "PROJECT_NAME", "hookimpl"]
