"""eBHXH signer type "hsm": the unit's key lives in an HSM and is used over PKCS#11."""
