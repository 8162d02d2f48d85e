"""Both signing schemes, checked by the libraries receivers use: `standardwebhooks` for the HMAC
signature, PyJWT (with `cryptography`) for the RS256 JWT."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jwt.algorithms import RSAAlgorithm
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from emulator.ids import derive_rng
from emulator.webhooks import signing

VECTOR_SECRET = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
VECTOR_BODY = (
    b'{"type":"batch.succeeded","version":"v1","timestamp":"2026-05-04T12:00:00Z",'
    b'"data":{"id":"batches/abc123","output_file_uri":"files/batch-abc123"}}'
)


def test_the_reference_vector() -> None:
    header = signing.hmac_signature(VECTOR_SECRET, "msg_0001", 1777896000, VECTOR_BODY)
    assert header == "v1,cA3rXy4VlvGadPRhe+VQg/bpvSkj0Ipms2foxBriVy4="


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    body=st.binary(max_size=300),
    msg_id=st.from_regex(r"msg_[a-z0-9]{1,20}", fullmatch=True),
)
def test_standardwebhooks_accepts_every_live_secret(seed: int, body: bytes, msg_id: str) -> None:
    old, new = signing.new_secret(derive_rng(seed, "a")), signing.new_secret(derive_rng(seed, "b"))
    stamp = int(time.time())
    text = body.decode("latin-1").encode()  # the library verifies text; any valid UTF-8 body will do
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": signing.signature_header([new, old], msg_id, stamp, text),
    }
    for secret in (old, new):
        assert Webhook(secret).verify(text, headers, json_parse=False) is None
    other = signing.new_secret(derive_rng(seed, "c"))
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(text, headers, json_parse=False)


def test_raw_key_mode_signs_with_the_whole_string() -> None:
    raw = signing.hmac_signature(VECTOR_SECRET, "m", 1, b"{}", raw=True)
    assert raw != signing.hmac_signature(VECTOR_SECRET, "m", 1, b"{}")
    # what a receiver using the string's bytes as the key (base64 of them as the "secret") accepts
    as_standard = signing.SECRET_PREFIX + base64.b64encode(VECTOR_SECRET.encode()).decode()
    assert raw == signing.hmac_signature(as_standard, "m", 1, b"{}")


def test_the_key_is_derived_from_the_seed() -> None:
    assert signing.derive_key(0) == signing.derive_key(0)
    key, other = signing.derive_key(0, 1024), signing.derive_key(1, 1024)
    assert key.n != other.n and key.n.bit_length() == 1024


def test_pyjwt_verifies_the_jwt_against_the_jwks() -> None:
    key = signing.derive_key(0)
    jwk = signing.jwks(key)["keys"][0]
    assert jwk["kty"] == "RSA" and jwk["alg"] == "RS256" and jwk["use"] == "sig" and jwk["kid"] == key.kid
    now = int(time.time())
    body = b'{"type":"batch.succeeded"}'
    token = signing.jwt(key, {"aud": "http://r/hook", "iat": now, "exp": now + 300, "sha256": signing.body_hash(body)})
    public = RSAAlgorithm.from_jwk(json.dumps(jwk))
    claims = jwt.decode(token, public, algorithms=["RS256"], audience="http://r/hook")  # type: ignore[arg-type]
    assert claims["sha256"] == signing.body_hash(body)
    assert jwt.get_unverified_header(token)["kid"] == key.kid
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(token, public, algorithms=["RS256"], audience="http://elsewhere")  # type: ignore[arg-type]
    head, _, sig = token.rpartition(".")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            head + "." + ("B" if sig[0] == "A" else "A") + sig[1:],
            public,
            algorithms=["RS256"],
            audience="http://r/hook",
        )  # type: ignore[arg-type]
