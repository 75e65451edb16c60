"""Sample partner plugin for Đà Nẵng (tests only): a dated route change, an office address,
and a requirement of the office's own.
"""
