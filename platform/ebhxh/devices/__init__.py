"""Paired devices: programs on a user's PC (the USB-token bridge agent) that act for that
user in one tenant with a credential of their own, got by exchanging a one-time pairing code.
"""
