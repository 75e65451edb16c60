"""Employee sync from VSS (seed step 3.5): a unit's insured employees, kept in step with VSS."""
