"""Single sign-on with OpenID Connect: each tenant's identity provider, sign-in through the
authorization-code flow with PKCE, and server-side browser sessions.
"""
