"""Logs, request ids and health probes."""
