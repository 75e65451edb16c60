"""eBHXH signer type "remote_csc": the key stays at a remote-signing service (VNPT SmartCA,
Viettel MySign, ...) speaking CSC API v2; the signer approves each signature on their phone.
"""
