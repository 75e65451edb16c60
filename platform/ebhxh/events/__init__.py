"""Lifecycle events the platform announces to plugins (hook `ebhxh_lifecycle_event`)."""
