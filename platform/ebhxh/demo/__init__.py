"""`ebhxh demo` and what it stands on: a local CA and a SoftHSM2 token made on the fly.

The tests use the same local PKI and token helpers, so the demo and the suite exercise one
set of code.
"""
