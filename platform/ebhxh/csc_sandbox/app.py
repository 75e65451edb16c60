"""The CSC sandbox's HTTP side: the CSC API v2 endpoints under /csc/v2 (`info`,
`auth/login`, `credentials/list`, `credentials/info`, `credentials/authorize`,
`credentials/authorizeCheck`, `signatures/signHash`), OAuth2 client credentials at
/oauth2/token, and the sandbox's own control endpoints under /sandbox: the signer's
approval (`transactions`), fault knobs, users, and the CA certificate to trust.

Errors use the CSC shape: `{"error": ..., "error_description": ...}` with 400, 401 or 503.
The control endpoints have no authentication: never expose the sandbox beyond a developer's
machine or a test.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

import msgspec
from cryptography.hazmat.primitives.serialization import Encoding
from litestar import Litestar, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, URLEncodedBody

from ebhxh.csc_sandbox.model import (
    RSA_OID,
    SHA256_OID,
    SHA256_WITH_RSA_OID,
    Authorization,
    Faults,
    SandboxState,
    Status,
    certificate_fields,
)

TOKEN_SECONDS = 3600


class CscError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def _error(_: Request[Any, Any, Any], exc: CscError) -> Response[dict[str, str]]:
    return Response(
        {"error": exc.error, "error_description": exc.description}, status_code=exc.status
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CscError(400, "invalid_request", "Invalid Base64 hash") from exc


class CredentialsListIn(msgspec.Struct, kw_only=True):
    userID: str | None = None  # noqa: N815 - CSC field names
    credentialInfo: bool = False  # noqa: N815
    certificates: str = "single"


class CredentialInfoIn(msgspec.Struct, kw_only=True):
    credentialID: str  # noqa: N815
    certificates: str = "single"


class AuthorizeIn(msgspec.Struct, kw_only=True):
    credentialID: str  # noqa: N815
    numSignatures: int  # noqa: N815
    hashes: list[str]
    hashAlgorithmOID: str = SHA256_OID  # noqa: N815
    description: str = ""
    clientData: str | None = None  # noqa: N815


class AuthorizeCheckIn(msgspec.Struct, kw_only=True):
    responseID: str  # noqa: N815


class SignHashIn(msgspec.Struct, kw_only=True):
    credentialID: str  # noqa: N815
    SAD: str
    hashes: list[str]
    hashAlgorithmOID: str = SHA256_OID  # noqa: N815
    signAlgo: str = SHA256_WITH_RSA_OID  # noqa: N815


class TokenIn(msgspec.Struct, kw_only=True):
    grant_type: str
    client_id: str = ""
    client_secret: str = ""


class UserIn(msgspec.Struct, kw_only=True):
    user_id: str
    common_name: str
    uid: str
    """`MST:<tax code>` for an organisation, `CCCD:<citizen id>` for a person."""
    multisign: int = 1


def _transaction(found: Authorization) -> dict[str, Any]:
    return {
        "id": found.response_id,
        "credential_id": found.credential_id,
        "status": found.status.value,
        "description": found.description,
        "hashes": [_b64(h) for h in found.hashes],
        "num_signatures": found.num_signatures,
        "approve_by": found.approve_by.isoformat(),
    }


def _state(request: Request[Any, Any, Any]) -> SandboxState:
    found: SandboxState = request.app.state.csc
    return found


def service_gate(request: Request[Any, Any, Any], *, bearer: bool = True) -> SandboxState:
    """Faults first, then (for the credential endpoints) the access token."""
    state = _state(request)
    faults = state.faults
    if faults.down:
        raise CscError(503, "temporarily_unavailable", "The service is down (sandbox)")
    if faults.fail_next > 0:
        faults.fail_next -= 1
        raise CscError(503, "temporarily_unavailable", "Transient failure (sandbox)")
    if bearer:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer ") or header[7:] not in state.tokens:
            raise CscError(401, "invalid_token", "Missing or invalid access token")
    return state


def issue_token(state: SandboxState) -> dict[str, Any]:
    token = secrets.token_urlsafe(24)
    state.tokens.add(token)
    return {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_SECONDS}


def credential(state: SandboxState, credential_id: str) -> Any:
    found = state.credentials.get(credential_id)
    if found is None:
        raise CscError(400, "invalid_request", "Invalid parameter credentialID")
    return found


@post("/csc/v2/info", status_code=200)
async def info(request: Request[Any, Any, Any]) -> dict[str, Any]:
    service_gate(request, bearer=False)
    return {
        "specs": "2.0.0.2",
        "name": "eBHXH CSC Sandbox",
        "logo": "",
        "region": "VN",
        "lang": "vi-VN",
        "description": "Dịch vụ ký số từ xa thử nghiệm / a remote-signing sandbox",
        "authType": ["basic", "oauth2client"],
        "oauth2": str(request.base_url).rstrip("/"),
        "asynchronousOperationMode": True,
        "methods": [
            "auth/login",
            "credentials/list",
            "credentials/info",
            "credentials/authorize",
            "credentials/authorizeCheck",
            "signatures/signHash",
        ],
        "signAlgorithms": {"algos": [SHA256_WITH_RSA_OID]},
    }


@post("/oauth2/token", status_code=200)
async def token(request: Request[Any, Any, Any], data: URLEncodedBody[TokenIn]) -> dict[str, Any]:
    state = service_gate(request, bearer=False)
    if data.grant_type != "client_credentials":
        raise CscError(400, "unsupported_grant_type", "Only client_credentials")
    if state.clients.get(data.client_id) != data.client_secret or not data.client_secret:
        raise CscError(401, "invalid_client", "Unknown client or wrong secret")
    return issue_token(state)


@post("/csc/v2/auth/login", status_code=200)
async def login(request: Request[Any, Any, Any]) -> dict[str, Any]:
    state = service_gate(request, bearer=False)
    header = request.headers.get("authorization", "")
    try:
        client_id, _, secret = (
            base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
        )
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise CscError(401, "invalid_client", "Basic authentication required") from exc
    if state.clients.get(client_id) != secret or not secret:
        raise CscError(401, "invalid_client", "Unknown client or wrong secret")
    return issue_token(state)


@post("/csc/v2/credentials/list", status_code=200)
async def credentials_list(
    request: Request[Any, Any, Any], data: JSONBody[CredentialsListIn]
) -> dict[str, Any]:
    state = service_gate(request)
    found = state.credentials_of(data.userID or "")
    return {"credentialIDs": [c.credential_id for c in found]}


@post("/csc/v2/credentials/info", status_code=200)
async def credentials_info(
    request: Request[Any, Any, Any], data: JSONBody[CredentialInfoIn]
) -> dict[str, Any]:
    state = service_gate(request)
    found = credential(state, data.credentialID)
    chain = [found.certificate]
    if data.certificates == "chain":
        chain.append(state.ca.certificate.public_bytes(Encoding.DER))
    return {
        "description": f"Chứng thư số của {found.user_id}",
        "key": {"status": "enabled", "algo": [SHA256_WITH_RSA_OID, RSA_OID], "len": 2048},
        "cert": {
            "status": "valid",
            "certificates": [_b64(c) for c in chain],
            **certificate_fields(found.certificate),
        },
        "auth": {"mode": "explicit"},
        "SCAL": "2",
        "multisign": found.multisign,
        "lang": "vi-VN",
    }


@post("/csc/v2/credentials/authorize", status_code=200)
async def authorize(request: Request[Any, Any, Any], data: JSONBody[AuthorizeIn]) -> dict[str, Any]:
    state = service_gate(request)
    found = credential(state, data.credentialID)
    if data.hashAlgorithmOID != SHA256_OID:
        raise CscError(400, "invalid_request", "Unsupported hashAlgorithmOID")
    if not data.hashes or data.numSignatures < len(data.hashes):
        raise CscError(400, "invalid_request", "numSignatures less than the hashes")
    if data.numSignatures > found.multisign:
        raise CscError(400, "invalid_request", "numSignatures exceeds multisign")
    started = state.authorize(
        found.credential_id,
        [_unb64(h) for h in data.hashes],
        data.numSignatures,
        data.description,
    )
    return {"responseID": started.response_id}


@post("/csc/v2/credentials/authorizeCheck", status_code=200)
async def authorize_check(
    request: Request[Any, Any, Any], data: JSONBody[AuthorizeCheckIn]
) -> Response[dict[str, Any]]:
    state = service_gate(request)
    found = state.current(data.responseID)
    if found is None:
        raise CscError(400, "invalid_request", "Invalid parameter responseID")
    if found.status is Status.REFUSED:
        raise CscError(400, "access_denied", "The signer refused the authorization")
    if found.status is Status.EXPIRED:
        raise CscError(400, "expired_token", "The authorization was not approved in time")
    if found.status is Status.PENDING:
        return Response({"status": "pending"}, status_code=202)
    return Response({"SAD": found.sad, "expiresIn": state.reported_sad_seconds()})


@post("/csc/v2/signatures/signHash", status_code=200)
async def sign_hash(request: Request[Any, Any, Any], data: JSONBody[SignHashIn]) -> dict[str, Any]:
    state = service_gate(request)
    credential(state, data.credentialID)
    if data.signAlgo != SHA256_WITH_RSA_OID or data.hashAlgorithmOID != SHA256_OID:
        raise CscError(400, "invalid_request", "Unsupported signAlgo or hashAlgorithmOID")
    signed = state.sign_hash(data.credentialID, data.SAD, [_unb64(h) for h in data.hashes])
    if isinstance(signed, str):
        raise CscError(400, "invalid_request", signed)
    return {"signatures": [_b64(s) for s in signed]}


# --- the sandbox's own control endpoints -------------------------------------------


@get("/sandbox/transactions")
async def transactions(request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
    return [_transaction(a) for a in _state(request).pending()]


@post("/sandbox/transactions/{response_id:str}/{decision:str}", status_code=200)
async def decide(
    request: Request[Any, Any, Any], response_id: FromPath[str], decision: FromPath[str]
) -> dict[str, Any]:
    state = _state(request)
    if decision not in ("approve", "refuse"):
        raise CscError(400, "invalid_request", "approve or refuse")
    decided = state.decide(response_id, approve=decision == "approve")
    if decided is None:
        raise CscError(400, "invalid_request", "No pending authorization with this id")
    return _transaction(decided)


@put("/sandbox/faults", status_code=200)
async def set_faults(request: Request[Any, Any, Any], data: JSONBody[Faults]) -> Faults:
    _state(request).faults = data
    return data


@post("/sandbox/users", status_code=201)
async def add_user(request: Request[Any, Any, Any], data: JSONBody[UserIn]) -> dict[str, Any]:
    made = _state(request).add_user(data.user_id, data.common_name, data.uid, data.multisign)
    return {"credential_id": made.credential_id, "user_id": made.user_id}


@get("/sandbox/ca.pem", media_type="application/x-pem-file")
async def ca_pem(request: Request[Any, Any, Any]) -> bytes:
    return _state(request).ca.pem


def create_csc_sandbox_app(state: SandboxState) -> Litestar:
    """The sandbox as an ASGI app over `state`."""
    return Litestar(
        route_handlers=[
            info,
            token,
            login,
            credentials_list,
            credentials_info,
            authorize,
            authorize_check,
            sign_hash,
            transactions,
            decide,
            set_faults,
            add_user,
            ca_pem,
        ],
        exception_handlers={CscError: _error},
        openapi_config=None,
        logging_config=None,
        state=State({"csc": state}),
    )
