"""`python -m ebhxh`: the same as the `ebhxh` command."""

from ebhxh.cli.main import main

main()
