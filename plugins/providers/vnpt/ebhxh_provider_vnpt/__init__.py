"""eBHXH competing-provider plugin: VNPT's I-VAN service (VNPT-BHXH / VNPT iVAN).

The facts are in `provider.toml`; the entry point names `plugin`.
"""

from ebhxh.switching.provider_file import ProviderFilePlugin

plugin = ProviderFilePlugin(__name__)
