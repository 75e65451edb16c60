"""The sandbox validating signatures in processes of its own (`EBHXH_SANDBOX_VALIDATORS`)
answers as it does on its event loop, survives a lost process, and serves submissions.
"""

from __future__ import annotations

import base64
import os
import signal
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from ebhxh.demo.threaded import free_port
from ebhxh.errors import ProblemError
from ebhxh.signing import pades
from ebhxh.signing.trust import TrustStore
from ebhxh.signing.validation import SignatureReport
from ebhxh.vss_sandbox.app import create_sandbox_app
from ebhxh.vss_sandbox.inbox import MailCatcher, read_inbox
from ebhxh.vss_sandbox.settings import SandboxSettings
from ebhxh.vss_sandbox.validators import (
    InProcessValidator,
    PooledValidator,
    Validator,
    ValidatorsLost,
)
from tests.test_signing_core import NOW, TAX_CODE, World, _form, _sign


@pytest.fixture(scope="module")
def trust_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("validators-pki")


@pytest.fixture(scope="module")
def world(trust_dir: Path) -> World:
    return World(trust_dir)  # writes its trust store (CA and CRL) into `trust_dir`


@pytest.fixture(scope="module")
def documents(world: World) -> dict[str, bytes]:
    """A valid document and one for each way the sandbox refuses a signature."""

    def signed(certificate: bytes) -> bytes:
        import asyncio

        async def make() -> bytes:
            pdf, _ = _form()
            prepared = await pades.prepare(pdf, certificate)
            return await pades.finish(prepared, _sign(world.key, prepared.to_be_signed))

        return asyncio.run(make())

    valid = signed(world.good)
    return {
        "valid": valid,
        "tampered": valid[:2000] + bytes([valid[2000] ^ 1]) + valid[2001:],
        "appended": valid + b"\n% appended after signing\n",
        "unsigned": _form()[0],
        "revoked": signed(world.revoked),
        "untrusted": signed(world.untrusted),
        "other company": signed(world.other_company),
        "not a pdf": b"%PDF-1.7 nothing else",
    }


async def _outcome(validator: Validator, document: bytes) -> SignatureReport | str:
    try:
        return await validator.validate(document, tax_code=TAX_CODE, now=NOW)
    except ProblemError as refused:
        return f"{refused.code.value} ({refused.field})"


@pytest.fixture
async def pool(trust_dir: Path) -> AsyncIterator[PooledValidator]:
    validator = PooledValidator(str(trust_dir), processes=2)
    await validator.start()
    try:
        yield validator
    finally:
        validator.close()


async def test_the_pool_answers_as_the_event_loop_does(
    pool: PooledValidator, trust_dir: Path, documents: dict[str, bytes]
) -> None:
    here = InProcessValidator(TrustStore.from_folder(trust_dir))
    answers = {}
    for name, document in documents.items():
        answers[name] = await _outcome(pool, document)
        assert answers[name] == await _outcome(here, document), name
    assert isinstance(answers["valid"], SignatureReport)
    refused = {name for name, answer in answers.items() if isinstance(answer, str)}
    assert refused == set(documents) - {"valid"}  # each bad one refused, with its reason
    assert len({answers[name] for name in refused}) > 3  # not one answer for every refusal


async def test_a_killed_validator_process_is_replaced(
    pool: PooledValidator, documents: dict[str, bytes]
) -> None:
    first = await _outcome(pool, documents["valid"])
    processes = pool.process_ids()
    assert len(processes) == 2
    for pid in processes:
        os.kill(pid, signal.SIGKILL)
    # The next document finds the pool broken, gets a new one and is validated there.
    assert await _outcome(pool, documents["valid"]) == first
    assert pool.process_ids() and not set(pool.process_ids()) & set(processes)
    assert await _outcome(pool, documents["tampered"]) == "document_tampered (document)"


async def test_validators_that_keep_dying_leave_the_document_unvalidated(
    tmp_path: Path, documents: dict[str, bytes]
) -> None:
    """Processes that die at every start (here: a trust store they cannot read) break the
    pool twice: the document is not validated (the sandbox answers 503), and the next one
    gets a new pool again rather than a broken one.
    """
    (tmp_path / "unreadable.pem").write_bytes(b"not a certificate")
    validator = PooledValidator(str(tmp_path), processes=1)
    try:
        for _ in range(2):
            with pytest.raises(ValidatorsLost):
                await validator.validate(documents["valid"], tax_code=TAX_CODE, now=NOW)
    finally:
        validator.close()


async def test_a_sandbox_with_validator_processes_serves_submissions(
    tmp_path: Path, trust_dir: Path, documents: dict[str, bytes]
) -> None:
    catcher = MailCatcher(tmp_path / "mail", port=free_port())
    catcher.start()
    settings = SandboxSettings(
        database_path=str(tmp_path / "vss.sqlite3"),
        smtp_port=catcher.port,
        trust_store_dir=str(trust_dir),
        validators=1,
    )
    app = create_sandbox_app(settings)

    def body(document: bytes) -> dict[str, str]:
        return {
            "kind": "register-unit-code",
            "tax_code": TAX_CODE,
            "unit_name": "Công ty Cổ phần Sông Hồng",
            "email": "nhansu@songhong.vn",
            "provider": "eBHXH",
            "document": base64.b64encode(document).decode(),
        }

    try:
        async with AsyncTestClient(app) as client:  # its lifespan starts the process
            accepted = await client.post(
                "/dossiers",
                json=body(documents["valid"]),
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            refused = await client.post(
                "/dossiers",
                json=body(documents["revoked"]),
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
    finally:
        catcher.stop()
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "awaiting_activation"
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "invalid_signature"
    assert len(read_inbox(tmp_path / "mail")) == 1  # the accepted one's activation code
