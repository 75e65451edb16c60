"""Prometheus metrics: the series, the `/metrics` endpoint, and the worker's metrics port."""
