"""eBHXH: the platform that takes Vietnamese employers to electronic social insurance.

The import package of the core distribution. Each domain (tenancy, organisation, units, ...)
is a sub-package holding its tables, schemas, services and controllers; `ebhxh.app` wires
them into one Litestar application and `ebhxh.cli` exposes the operator commands.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ebhxh")
except PackageNotFoundError:  # pragma: no cover - only when run from an uninstalled tree
    __version__ = "0.0.0"
