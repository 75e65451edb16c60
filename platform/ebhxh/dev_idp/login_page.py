"""The development provider's login page: Vietnamese first, English below, the demo users
listed with the published development password, and the authorization request carried in
hidden fields so that the form's POST is validated again from scratch.
"""

from __future__ import annotations

from html import escape

from ebhxh.dev_idp.users import DEV_PASSWORD, USERS

EMAIL_FIELD = "login_email"
PASSWORD_FIELD = "login_password"  # noqa: S105 - a form field name
FORM_FIELDS = frozenset({EMAIL_FIELD, PASSWORD_FIELD})


def render(
    action: str, params: list[tuple[str, str]], *, email: str = "", failed: bool = False
) -> str:
    hidden = "\n".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in params
    )
    options = "\n".join(
        f'<option value="{escape(u.email)}"{" selected" if u.email == email else ""}>'
        f"{escape(u.email)} — {escape(u.name)} "
        f"({escape(', '.join(u.groups) or 'không có nhóm / no group')})</option>"
        for u in USERS
    )
    error = (
        '<p class="error" role="alert">Sai người dùng hoặc mật khẩu. '
        "<span lang=en>Wrong user or password.</span></p>"
        if failed
        else ""
    )
    return f"""<!doctype html>
<html lang="vi">
<head><meta charset="utf-8"><title>Đăng nhập (nhà cung cấp định danh phát triển)</title>
<style>
body {{ font-family: sans-serif; max-width: 40em; margin: 2em auto; }}
.warning {{ background: #fff3cd; padding: .75em; border: 1px solid #e0c060; }}
.error {{ color: #a00; }}
label {{ display: block; margin-top: 1em; }}
[lang=en] {{ color: #555; }}
</style></head>
<body>
<h1>Đăng nhập eBHXH <span lang="en">/ Sign in</span></h1>
<p class="warning"><strong>Nhà cung cấp định danh dành cho phát triển.</strong> Mọi người dùng
mẫu dùng chung mật khẩu công khai <code>{escape(DEV_PASSWORD)}</code>; không bao giờ bật trong
môi trường thật.<br><span lang="en">Development identity provider: every demo user shares the
published password <code>{escape(DEV_PASSWORD)}</code>. Never turn it on in production.</span></p>
{error}
<form method="post" action="{escape(action)}">
{hidden}
<label>Người dùng <span lang="en">/ User</span>
<select name="{EMAIL_FIELD}" id="{EMAIL_FIELD}">
{options}
</select></label>
<label>Mật khẩu <span lang="en">/ Password</span>
<input type="password" name="{PASSWORD_FIELD}" id="{PASSWORD_FIELD}" autocomplete="off">
</label>
<p><button type="submit" id="sign-in">Đăng nhập <span lang="en">/ Sign in</span></button></p>
</form>
</body></html>
"""
