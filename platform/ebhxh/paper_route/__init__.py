"""The paper route: a first-time unit outside the electronic provinces prints a pack, sends
it to its office, and records the unit code the office issues (seed step 3.4, paper).
"""
