"""eBHXH competing-provider plugin: Viettel's I-VAN service (Viettel-BHXH).

The facts are in `provider.toml`; the entry point names `plugin`.
"""

from ebhxh.switching.provider_file import ProviderFilePlugin

plugin = ProviderFilePlugin(__name__)
