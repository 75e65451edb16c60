"""eBHXH competing-provider plugin: any other provider (VSS takes its stop dossier).

The facts are in `provider.toml`; the entry point names `plugin`.
"""

from ebhxh.switching.provider_file import ProviderFilePlugin

plugin = ProviderFilePlugin(__name__)
