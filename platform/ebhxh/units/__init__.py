"""Insurance units (seed step 3.2): the legal entities a tenant declares to social insurance."""
