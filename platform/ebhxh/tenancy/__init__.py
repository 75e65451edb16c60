"""Tenants (customer companies), their users, memberships with roles, and API tokens."""
