"""Schemathesis over the whole OpenAPI document, as a tenant admin on PostgreSQL: every
operation, with generated valid and invalid parameters and bodies (path ids half the time
replaced by real ones of a populated tenant, so the handlers behind the 404 are reached),
answers no 5xx, and every response conforms to the document (status code, content type,
body schema).

The app runs in-process (Litestar's test client); VSS is the sandbox on 127.0.0.1.
Short form in CI; `EBHXH_PROOF=long` for many more examples per operation.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import hypothesis
import msgspec
import pytest
import schemathesis
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ebhxh.app import create_app
from ebhxh.clock import SystemClock
from ebhxh.demo.threaded import ThreadedServer, free_port
from ebhxh.settings import Settings
from ebhxh.vss_sandbox.app import create_sandbox_app
from ebhxh.vss_sandbox.settings import SandboxSettings
from tests.conftest import Pki, TenantHandle, tenant_on
from tests.proof_settings import examples
from tests.sweep_data import Client, populate

EXAMPLES = examples(short=8, long=150)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
NETWORK_SIGNERS = {"remote_csc"}
"""Signer types whose settings name a remote service: never sent, so no generated URL is
ever called."""


@pytest.fixture
def vss(tmp_path: Path, test_pki: Pki) -> Iterator[str]:
    settings = SandboxSettings(
        database_path=str(tmp_path / "vss.sqlite3"),
        smtp_port=free_port(),
        trust_store_dir=str(test_pki.trust_dir),
    )
    server = ThreadedServer(create_sandbox_app(settings, SystemClock()))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
async def client(settings: Settings, vss: str) -> AsyncIterator[Client]:
    fields: dict[str, Any] = msgspec.structs.asdict(settings)
    app = create_app(Settings(**{**fields, "vss_url": vss}), configure_logs=False)
    async with AsyncTestClient(app=app, timeout=30) as test_client:
        yield test_client


def _safe(case: Any) -> bool:
    body = case.body
    # A negative case may carry any JSON value as the signer type (a dict is unhashable).
    signer_type = body.get("signer_type") if isinstance(body, dict) else None
    return not (isinstance(signer_type, str) and signer_type in NETWORK_SIGNERS)


def _fuzz(
    loop: asyncio.AbstractEventLoop,
    client: Client,
    owner: TenantHandle,
    ids: dict[str, str],
    raw: dict[str, Any],
) -> Any:
    """Run every operation (in a thread; requests go out on the test's loop `loop`); return
    (failures by operation, examples sent).
    """
    schema = schemathesis.openapi.from_dict(raw)
    failures: dict[str, str] = {}
    sent = 0

    for result in schema.get_all_operations():
        operation = result.ok()
        cases = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        @hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=False,
            phases=[hypothesis.Phase.generate],
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        @hypothesis.given(case=cases.filter(_safe), real=st.booleans())
        def run(case: Any, real: bool) -> None:
            nonlocal sent
            if real and case.path_parameters:
                for name in case.path_parameters:
                    if name in ids:
                        case.path_parameters[name] = ids[name]
            request: dict[str, Any] = {
                "params": case.query or None,
                "headers": {**(case.headers or {}), **owner.headers},
            }
            if isinstance(case.body, bytes):  # a negative case: not even JSON
                request["content"] = case.body
                request["headers"]["Content-Type"] = case.media_type or "application/json"
            elif case.body is not NOT_SET:
                request["json"] = case.body
            response = asyncio.run_coroutine_threadsafe(
                client.request(case.method, case.formatted_path, **request), loop
            ).result(timeout=60)
            sent += 1
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except BaseException as failure:  # collect every operation's failures, then report
            if isinstance(failure, KeyboardInterrupt):
                raise
            failures[f"{operation.method.upper()} {operation.path}"] = str(failure)[:2000]
    return failures, sent


async def test_every_operation_answers_within_its_documented_schema(
    client: Client, test_pki: Pki
) -> None:
    owner = tenant_on(client)
    ids = await populate(client, owner, test_pki)
    raw = (await client.get("/docs/openapi.json")).json()
    started = time.monotonic()
    failures, sent = await asyncio.to_thread(
        _fuzz, asyncio.get_running_loop(), client, owner, ids, raw
    )
    elapsed = time.monotonic() - started
    operations = sum(len(item) for item in raw["paths"].values())
    print(f"schemathesis: {sent} requests over {operations} operations in {elapsed:.0f} s")
    assert failures == {}, "\n\n".join(f"{op}:\n{text}" for op, text in failures.items())
    assert operations >= 45 and sent >= operations * 2
