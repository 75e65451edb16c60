"""The platform's one door to VSS: an interface, and an HTTP adapter for it.

The real VSS gateway is not reachable from here; the HTTP adapter speaks to the VSS
sandbox (`ebhxh.vss_sandbox`), and a production adapter for the real gateway would
implement the same `VssGateway` protocol.
"""
