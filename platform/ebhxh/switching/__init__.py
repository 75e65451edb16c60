"""Switching away from a competing e-BHXH provider (I-VAN): the plugin contract and registry."""
