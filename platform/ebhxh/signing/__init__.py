"""Digital signatures: the contract signer-type plugins fulfil, and their registry."""
