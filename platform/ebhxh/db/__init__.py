"""Database access: the engine chosen by the settings, the table registry, tenant scoping
and migrations (one set of Piccolo migration files for SQLite and PostgreSQL).
"""
