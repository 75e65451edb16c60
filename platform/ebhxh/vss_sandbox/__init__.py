"""The VSS sandbox: a stand-in for Vietnam Social Security that behaves like the agency as
far as the platform can tell (`ebhxh sandbox`, or mounted at /vss in the embedded default).

It has its own SQLite database, validates dossier signatures with the signing core's
validator and its own trust store, emails activation codes over SMTP, lets an officer (or a
policy) decide, keeps the registry of unit codes and providers, and can be told to
misbehave for tests.
"""
