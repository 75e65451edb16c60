"""`ebhxh demo`: the whole of seed steps 3.1-3.5 for a first-time Hà Nội company, on the
embedded default, printing each step.

It makes a local CA and a SoftHSM2 token (the unit's "HSM"), starts the platform (API,
worker, mounted VSS sandbox) on a free port with a catching SMTP server, and then acts as
the tenant through the HTTP API: it reads the activation codes from the caught mail and
plays the officer through the sandbox's officer desk.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from ebhxh.demo import pki, softhsm
from ebhxh.demo.threaded import ThreadedServer, free_port
from ebhxh.vss_sandbox.inbox import MailCatcher, activation_code

TOKEN, PIN = "ebhxh-demo", "123456"
TAX_CODE = "0100109106"
EMAIL = "nhansu@songhong.vn"
TREE = {
    "nodes": [
        {
            "external_id": "HQ",
            "kind": "company",
            "name": "Công ty Cổ phần Sông Hồng",
            "tax_code": TAX_CODE,
        },
        {
            "external_id": "HR",
            "kind": "department",
            "name": "Phòng Nhân sự",
            "parent_external_id": "HQ",
        },
    ]
}


class TourFailed(RuntimeError):
    """A step did not give the expected answer."""


class Tour:
    """The demo, step by step; `say` prints (the CLI passes click.echo)."""

    def __init__(self, folder: Path, say: Callable[[str], None]) -> None:
        self.folder = folder
        self.say = say
        self.step = 0

    def _next(self, text: str) -> None:
        self.step += 1
        self.say(f"\n[{self.step}] {text}")

    def run(self) -> str:
        if not softhsm.available():
            raise TourFailed(
                "SoftHSM2 is not installed. Install it with:  apt-get install softhsm2\n"
                "(the demo keeps the unit's signing key in a SoftHSM2 token, as in an HSM)."
            )
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)
        self._next("Tạo CA cục bộ và token SoftHSM2 chứa khóa ký của đơn vị")
        ca = pki.LocalCA("eBHXH Demo CA")
        softhsm.configure(self.folder / "hsm")
        softhsm.init_token(TOKEN, PIN)
        subject = pki.name("CÔNG TY CỔ PHẦN SÔNG HỒNG", f"MST:{TAX_CODE}")
        softhsm.add_key_and_certificate(TOKEN, PIN, b"\x01", lambda key: ca.issue(key, subject))
        trust = ca.write_trust_store(self.folder / "trust")
        env = {
            "EBHXH_DATA_DIR": str(self.folder / "data"),
            "EBHXH_TRUST_STORE_DIR": str(trust),
            "EBHXH_LOG_LEVEL": "WARNING",
        }
        self._next("Khởi tạo cơ sở dữ liệu (SQLite) và tenant demo")
        self._cli("migrate", env=env)
        created = self._cli(
            "tenants",
            "create",
            "--slug",
            "songhong",
            "--name",
            "Công ty Cổ phần Sông Hồng",
            "--admin-email",
            "admin@songhong.vn",
            env=env,
        )
        token = created.strip().splitlines()[-1]
        return self._with_platform(env, trust, token)

    def _cli(self, *args: str, env: dict[str, str]) -> str:
        import os

        result = subprocess.run(  # noqa: S603 - our own command, fixed arguments
            [sys.executable, "-m", "ebhxh.cli", *args],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise TourFailed(result.stdout + result.stderr)
        return result.stdout

    def _with_platform(self, env: dict[str, str], trust: Path, token: str) -> str:
        from ebhxh.app import create_app
        from ebhxh.settings import Settings

        mail = MailCatcher(self.folder / "mail", port=free_port())
        mail.start()
        port = free_port()
        settings = Settings(
            data_dir=env["EBHXH_DATA_DIR"],
            trust_store_dir=str(trust),
            port=port,
            smtp_port=mail.port,
            log_level="WARNING",
        )
        server = ThreadedServer(create_app(settings, with_worker=True), port=port)
        server.start()
        try:
            api = httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
            return self._walk(api, server.url, mail)
        finally:
            server.stop()
            mail.stop()

    def _ok(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise TourFailed(f"{response.request.method} {response.request.url}: {response.text}")
        return response.json()

    def _wait(self, api: httpx.Client, dossier_id: str, state: str) -> Any:
        deadline = time.monotonic() + 60
        while True:
            dossier = self._ok(api.get(f"/dossiers/{dossier_id}"))
            if dossier["state"] == state:
                return dossier
            if time.monotonic() > deadline:
                raise TourFailed(f"dossier stuck in {dossier['state']}: {dossier['waiting_for']}")
            time.sleep(0.2)

    def _activate(self, api: httpx.Client, mail: MailCatcher, dossier: Any) -> Any:
        code = activation_code(mail.folder, EMAIL, dossier["receipt_id"], timeout=30)
        self.say(f"    thư tới {dossier['activation']['sent_to']}: mã kích hoạt {code}")
        return self._ok(api.post(f"/dossiers/{dossier['id']}/activation", json={"code": code}))

    def _walk(self, api: httpx.Client, base: str, mail: MailCatcher) -> str:
        self._next("Đồng bộ cơ cấu tổ chức từ hệ thống nhân sự (bước 3.1)")
        report = self._ok(api.put("/organisation", json=TREE))
        self.say(f"    tạo mới: {', '.join(report['created'])}")
        self._next("Khai báo đơn vị tham gia lần đầu tại Hà Nội (bước 3.2)")
        unit = self._ok(
            api.post(
                "/units",
                json={
                    "org_node_external_id": "HQ",
                    "name": "Công ty Cổ phần Sông Hồng",
                    "tax_code": TAX_CODE,
                    "province": "Hà Nội",
                    "first_time_participant": True,
                    "particulars": {
                        "email": EMAIL,
                        "registered_address": "Số 1 Tràng Tiền, Hà Nội",
                    },
                },
            )
        )
        self.say(f"    tuyến: {unit['route']}; tiếp theo: {unit['next_step']['message']}")
        self._next("Thiết lập chữ ký số: HSM qua PKCS#11 (bước 3.3)")
        access = {"signer_type": "hsm", "settings": {"token_label": TOKEN}, "secrets": {"pin": PIN}}
        offered = self._ok(api.post(f"/units/{unit['id']}/signature/certificates", json=access))
        chosen = next(c for c in offered["certificates"] if c["usable"])
        self._ok(
            api.put(
                f"/units/{unit['id']}/signature",
                json={**access, "certificate_sha256": chosen["sha256"]},
            )
        )
        self.say(f"    chứng thư số: {chosen['subject']}")
        self._next("Ký và nộp hồ sơ đăng ký mã đơn vị (bước 3.4)")
        dossier = self._ok(
            api.post(f"/units/{unit['id']}/dossiers", json={"kind": "register-unit-code"})
        )
        waiting = self._wait(api, dossier["id"], "awaiting_activation")
        self._next("Đọc mã kích hoạt trong thư và kích hoạt hồ sơ")
        self._activate(api, mail, waiting)
        self._next("Cán bộ BHXH duyệt hồ sơ và cấp mã đơn vị")
        self._ok(httpx.post(f"{base}/vss/officer/dossiers/{waiting['receipt_id']}/approve"))
        approved = self._wait(api, dossier["id"], "approved")
        self.say(f"    mã đơn vị được cấp: {approved['issued_unit_code']}")
        self._next("Cập nhật mã đơn vị, ký và nộp hồ sơ thay đổi (bước 3.5)")
        change = self._ok(
            api.put(
                f"/units/{unit['id']}/unit-code", json={"unit_code": approved["issued_unit_code"]}
            )
        )
        self._wait(api, change["id"], "accepted")
        self._next("Đăng ký sử dụng dịch vụ BHXH điện tử và kích hoạt")
        registration = self._ok(
            api.post(f"/units/{unit['id']}/dossiers", json={"kind": "service-registration"})
        )
        awaiting = self._wait(api, registration["id"], "awaiting_activation")
        active = self._activate(api, mail, awaiting)
        if active["state"] != "active":
            raise TourFailed(f"expected active, got {active['state']}")
        self._next(f"Xong: đơn vị {approved['issued_unit_code']} đã kích hoạt dịch vụ (active)")
        return str(approved["issued_unit_code"])
