"""eBHXH signer type "usb-bridge": the unit's key is on a USB token on a user's PC; the
`ebhxh-bridge` agent there pairs with the platform, fetches signing requests (outbound
connections only), asks for the PIN locally and returns the signature value.
"""
