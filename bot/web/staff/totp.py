"""Time-based one-time codes (RFC 6238, pyotp) and the enrolment QR code (segno, as SVG)."""

from __future__ import annotations

import io
from datetime import datetime

import pyotp
import segno

ISSUER = "Samtale"
STEP_SECONDS = 30


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG image, drawn on the server (no third party sees it)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, xmldecl=False, svgns=True,
                                    title="otpauth", nl=False)
    return buffer.getvalue().decode()


def verify(secret: str, code: str, *, at: datetime, last_step: int | None) -> int | None:
    """The accepted time step, or None. One step of clock drift is allowed either way; a code
    at or before the last accepted step is refused, so an overheard code cannot be replayed."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(at.timestamp()) // STEP_SECONDS
    for step in (now_step, now_step - 1, now_step + 1):
        if last_step is not None and step <= last_step:
            continue
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None
