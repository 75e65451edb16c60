"""eBHXH competing-provider plugin: Thái Sơn's I-VAN service (TS24): stopped in the TS24 portal.

The facts are in `provider.toml`; the entry point names `plugin`.
"""

from ebhxh.switching.provider_file import ProviderFilePlugin

plugin = ProviderFilePlugin(__name__)
