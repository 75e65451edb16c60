"""Benchmark: render + sign a dossier end to end, against bare pyHanko, in one run.

Ours: render the TK3-TS (fpdf2, the project's font), prepare the PAdES signature, sign the
to-be-signed bytes in SoftHSM2 over PKCS#11 through the HSM signer type, finish, and
validate (what a dossier needs, minus the database). Baseline: pyHanko's `SimpleSigner`,
its key loaded once, signing the same already-rendered PDF with `async_sign_pdf`.
Both run sequentially in this process, alternating in rounds; the ratio is ours/baseline
throughput (>= 0.8 is the target).

    uv run python -m bench.signing [--documents 60]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import statistics
import tempfile
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from ebhxh.demo import pki, softhsm
from ebhxh.documents.forms import FormKind, FormRequest, UnitParticulars
from ebhxh.documents.render import render_form
from ebhxh.signing import pades
from ebhxh.signing.trust import TrustStore
from ebhxh.signing.validation import validate_signed_pdf

TAX_CODE = "0100109106"
TOKEN, PIN = "bench-token", "13579"


def _request() -> FormRequest:
    return FormRequest(
        kind=FormKind.TK3_TS,
        unit=UnitParticulars(
            name="Công ty Cổ phần Sông Hồng",
            tax_code=TAX_CODE,
            registered_address="Số 1 Tràng Tiền, phường Hoàn Kiếm, thành phố Hà Nội",
            office_name="Bảo hiểm xã hội thành phố Hà Nội",
        ),
        drawn_up_on=dt.date.today(),
        place="Hà Nội",
    )


async def main(documents: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ebhxh-bench-"))
    ca = pki.LocalCA()
    softhsm.configure(folder / "hsm")
    softhsm.init_token(TOKEN, PIN)
    subject = pki.name("CÔNG TY CỔ PHẦN SÔNG HỒNG", f"MST:{TAX_CODE}")
    certificate = softhsm.add_key_and_certificate(
        TOKEN, PIN, b"\x01", lambda key: ca.issue(key, subject)
    )
    trust = TrustStore.from_folder(ca.write_trust_store(folder / "trust"))
    from ebhxh_signer_hsm import token  # after SOFTHSM2_CONF is set

    settings = {"token_label": TOKEN}

    async def ours() -> bytes:
        pdf, declaration = render_form(_request())
        prepared = await pades.prepare(pdf, certificate)
        value = await asyncio.to_thread(
            token.sign, settings, PIN, certificate, prepared.to_be_signed
        )
        signed = await pades.finish(prepared, value)
        await validate_signed_pdf(
            signed,
            trust=trust,
            tax_code=TAX_CODE,
            now=dt.datetime.now(dt.UTC),
            expected_xml=declaration,
        )
        return signed

    # The baseline's key lives in files, as SimpleSigner.load expects.
    software_key = pki.new_key()
    (folder / "key.pem").write_bytes(
        software_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    baseline_certificate = x509.load_der_x509_certificate(
        ca.issue(software_key.public_key(), subject)
    )
    (folder / "cert.pem").write_bytes(baseline_certificate.public_bytes(serialization.Encoding.PEM))
    simple = signers.SimpleSigner.load(  # type: ignore[no-untyped-call]
        str(folder / "key.pem"), str(folder / "cert.pem")
    )
    assert simple is not None
    rendered, _ = render_form(_request())
    metadata = signers.PdfSignatureMetadata(
        field_name="Signature1", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
    )

    async def baseline() -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(rendered))
        output = await signers.async_sign_pdf(writer, metadata, signer=simple)
        signed: bytes = output.getvalue()
        return signed

    await ours()
    await baseline()  # warm both paths
    timings: dict[str, list[float]] = {"ours": [], "baseline": []}
    for _ in range(documents):
        for name, run in (("ours", ours), ("baseline", baseline)):
            start = time.perf_counter()
            await run()
            timings[name].append(time.perf_counter() - start)
    rate = {name: len(t) / sum(t) for name, t in timings.items()}
    for name, spent in timings.items():
        median = statistics.median(spent) * 1000
        p95 = sorted(spent)[int(len(spent) * 0.95) - 1] * 1000
        print(
            f"{name:9s} {rate[name]:7.1f} documents/s   median {median:6.1f} ms   p95 {p95:6.1f} ms"
        )
    print(f"ratio ours/baseline throughput: {rate['ours'] / rate['baseline']:.2f} (target >= 0.8)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=60)
    asyncio.run(main(parser.parse_args().documents))
