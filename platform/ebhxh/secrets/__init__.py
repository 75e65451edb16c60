"""Secrets at rest (HSM PINs, client secrets): encrypted with keys from the environment."""
