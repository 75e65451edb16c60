"""The `ebhxh` command line: one module per command (group)."""
