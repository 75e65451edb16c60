"""The development identity provider: an OpenID Connect provider running inside the
platform at /dev-idp, with a few demo users of the demo tenant and one registered client
(`ebhxh-embedded`), so that single sign-on works on a fresh clone with no configuration.

It is on for the embedded default only (or where `EBHXH_DEV_IDP=true` turns it on): every
demo user shares a published password, so it must never run in production.
"""

from ebhxh.dev_idp.files import client_secret_path
from ebhxh.dev_idp.urls import CLIENT_ID, MOUNT_PATH, issuer, redirect_uris

__all__ = ["CLIENT_ID", "MOUNT_PATH", "client_secret_path", "issuer", "redirect_uris"]
