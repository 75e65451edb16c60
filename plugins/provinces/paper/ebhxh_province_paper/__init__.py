"""eBHXH province plugin for the 33 provinces outside Hà Nội: the paper unit-code route."""
