"""eBHXH province plugin for Hà Nội, where VSS accepts unit-code registration electronically."""
