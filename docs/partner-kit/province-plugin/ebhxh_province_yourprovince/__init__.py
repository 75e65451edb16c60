"""eBHXH province plugin for <province> (from the partner kit's template)."""
