"""Single sign-on tests: a certified OpenID provider (npm `oidc-provider`) end to end, and a
provider we control for the ID tokens a certified one cannot produce.
"""
