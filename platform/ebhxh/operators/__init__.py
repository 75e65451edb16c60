"""Platform operators: the provider's support staff, who list tenants and act in one only
through a time-limited, reasoned support grant, every request of theirs in the audit trail.
"""
