"""Organisation sync (seed step 3.1): the tenant's structure pushed from its core HR system."""
