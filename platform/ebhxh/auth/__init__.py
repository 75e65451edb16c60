"""Who is calling: the principal (user and tenant), however it was proven.

Today the proof is a bearer API token; single sign-on adds browser sessions behind the same
`Principal`, so the rest of the code never learns how a caller signed in.
"""
