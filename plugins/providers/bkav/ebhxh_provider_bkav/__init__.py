"""eBHXH competing-provider plugin: BKAV's I-VAN service (BKAV-IVAN): stopped in BKAV's own portal.

The facts are in `provider.toml`; the entry point names `plugin`.
"""

from ebhxh.switching.provider_file import ProviderFilePlugin

plugin = ProviderFilePlugin(__name__)
