"""The development provider's users: a few people of the demo tenant, one per role group,
and one with no group (to show the platform refusing a user without a role). They all share
the published development password: this provider is for a developer's machine only.
"""

from __future__ import annotations

import hmac

import msgspec

DEV_PASSWORD = "ebhxh-dev"  # noqa: S105 - published on purpose: a development provider
"""The one password of every demo user (shown on the login page and in the README)."""


class DemoUser(msgspec.Struct, frozen=True, kw_only=True):
    email: str
    name: str
    groups: tuple[str, ...]

    @property
    def subject(self) -> str:
        """The stable `sub` claim: the provider has no other identifier for its users."""
        return f"dev-idp:{self.email}"


USERS: tuple[DemoUser, ...] = (
    DemoUser(email="admin@demo.example", name="Quản trị Demo", groups=("ebhxh-admins",)),
    DemoUser(email="hr@demo.example", name="Nhân sự Demo", groups=("ebhxh-hr",)),
    DemoUser(email="viewer@demo.example", name="Người xem Demo", groups=("ebhxh-viewers",)),
    DemoUser(email="nobody@demo.example", name="Không có vai trò", groups=()),
)
_BY_EMAIL = {user.email: user for user in USERS}


def find(email: str) -> DemoUser | None:
    return _BY_EMAIL.get(email.strip().lower())


def authenticate(email: str, password: str) -> DemoUser | None:
    """The user when `password` is the development password, else None."""
    user = find(email)
    matches = hmac.compare_digest(password.encode(), DEV_PASSWORD.encode())
    return user if user is not None and matches else None
