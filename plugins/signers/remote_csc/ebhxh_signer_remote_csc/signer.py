"""The "remote_csc" signer type: ask the service for the signer's approval, answer pending.

Unit settings: `base_url` (the service, without /csc/v2), `client_id`, `user_id` (the
signer's account at the service); secret: `client_secret`. At signing, the credential
whose certificate is the unit's registered one is found, `credentials/authorize` starts the
approval of the SHA-256 of the bytes to be signed (one hash, `numSignatures` 1, within the
credential's `multisign`), and the request waits; `ebhxh_signer_remote_csc.poll` carries
it on. pyHanko stays in the platform: this plugin only ever sees the bytes to be signed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from ebhxh.errors import ErrorCode
from ebhxh.signing.contract import (
    SignatureOutcome,
    SignaturePending,
    SignatureRequest,
    SignerFailure,
)
from ebhxh_signer_remote_csc.client import (
    CredentialInfo,
    CscClient,
    CscRefused,
    CscUnavailable,
    b64,
)

NAME = "remote_csc"
WAITING = "chờ phê duyệt trên ứng dụng ký số"
REQUIRED = ("base_url", "client_id", "user_id")


def client_for(settings: Mapping[str, str], secrets: Mapping[str, str]) -> CscClient:
    """A client of the unit's service, or a settings failure naming what is missing."""
    missing = [name for name in REQUIRED if not settings.get(name)]
    if not secrets.get("client_secret"):
        missing.append("client_secret")
    if missing:
        raise SignerFailure(ErrorCode.SIGNER_SETTINGS, reason=f"missing {', '.join(missing)}")
    return CscClient(settings["base_url"], settings["client_id"], secrets["client_secret"])


def refusal_code(refused: CscRefused) -> ErrorCode:
    """What a 4xx from the service means for the user."""
    description = refused.description.lower()
    if refused.status == 401 or refused.error in ("invalid_client", "invalid_token"):
        return ErrorCode.CSC_AUTH_FAILED
    if refused.error == "access_denied":
        return ErrorCode.CSC_APPROVAL_REFUSED
    if refused.error == "expired_token":
        return ErrorCode.CSC_APPROVAL_EXPIRED
    if "sad expired" in description:
        return ErrorCode.CSC_SAD_EXPIRED
    if "hash" in description:
        return ErrorCode.CSC_HASH_MISMATCH
    if "numsignatures" in description or "multisign" in description:
        return ErrorCode.CSC_SIGNATURES_EXHAUSTED
    if "credentialid" in description:
        return ErrorCode.CSC_CREDENTIAL_MISSING
    return ErrorCode.CSC_SERVICE_UNAVAILABLE


@contextmanager
def as_signer_failures() -> Iterator[None]:
    """Turn the client's errors into failures the user can act on."""
    try:
        yield
    except CscUnavailable as exc:
        raise SignerFailure(ErrorCode.CSC_SERVICE_UNAVAILABLE, reason=str(exc)) from exc
    except CscRefused as refused:
        raise SignerFailure(
            refusal_code(refused), reason=f"{refused.error}: {refused.description}"
        ) from refused


async def _offered(csc: CscClient, user_id: str) -> list[CredentialInfo]:
    return [await csc.credential_info(c) for c in await csc.credentials(user_id)]


class RemoteCscSigner:
    """Signs through a CSC API v2 service, after the signer's approval on their phone."""

    name = NAME
    label = "Ký số từ xa qua dịch vụ CSC (VNPT SmartCA, Viettel MySign, ...)"
    secret_names: tuple[str, ...] = ("client_secret",)

    async def list_certificates(
        self, settings: Mapping[str, str], secrets: Mapping[str, str]
    ) -> Sequence[bytes]:
        with as_signer_failures():
            async with client_for(settings, secrets) as csc:
                offered = await _offered(csc, settings["user_id"])
        return [info.certificates[0] for info in offered if info.certificates]

    async def request_signature(self, request: SignatureRequest) -> SignatureOutcome:
        digest = hashlib.sha256(request.to_be_signed).digest()
        with as_signer_failures():
            async with client_for(request.settings, request.secrets) as csc:
                offered = await _offered(csc, request.settings["user_id"])
                credential = next(
                    (
                        info
                        for info in offered
                        if info.certificates and info.certificates[0] == request.certificate_der
                    ),
                    None,
                )
                if credential is None:
                    raise SignerFailure(ErrorCode.CSC_CREDENTIAL_MISSING)
                if credential.multisign < 1:
                    raise SignerFailure(ErrorCode.CSC_SIGNATURES_EXHAUSTED)
                response_id = await csc.authorize(
                    credential.credential_id, [digest], request.description
                )
        return SignaturePending(
            waiting_for=WAITING,
            state={
                "credential_id": credential.credential_id,
                "response_id": response_id,
                "hash": b64(digest),
                "polls": 0,
                "errors": 0,
            },
        )
