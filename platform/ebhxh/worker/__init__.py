"""Background work with arq: Redis connection, key names, the worker and its jobs."""
