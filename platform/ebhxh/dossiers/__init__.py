"""Dossiers (seed steps 3.4 and 3.5): signed, submitted to VSS by jobs, activated, decided.

`states` is the one table of states and transitions; `transitions` applies them with the
audit trail and the outbox in the same transaction; `service` holds the flows; `outbox` and
`jobs` carry the work to VSS through arq.
"""
