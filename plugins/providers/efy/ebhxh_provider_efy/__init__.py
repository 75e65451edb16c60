"""eBHXH competing-provider plugin: EFY Việt Nam's I-VAN service (EFY-eBH).

The facts are in `provider.toml`; the entry point names `plugin`.
"""

from ebhxh.switching.provider_file import ProviderFilePlugin

plugin = ProviderFilePlugin(__name__)
