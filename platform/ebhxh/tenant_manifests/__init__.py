"""Declarative tenants: one TOML manifest per tenant in a folder (`tenants/`), reconciled
into the database by `ebhxh tenants apply` — load and check every manifest, print the plan
(a diff against the database), then apply each tenant's changes in one transaction.
"""
