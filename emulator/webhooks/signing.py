"""Both signing schemes, in the standard library alone.

Static webhooks: Standard Webhooks. The secret is `whsec_` + base64(key); the signature is
`v1,` + base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")), one per live secret,
separated by spaces.

Dynamic webhooks (`webhookConfig.uris`): an RS256 JWT (RSASSA-PKCS1-v1_5 with SHA-256) whose public
key is served as a JWKS. The RSA key pair is derived from the emulator's seed (the same seed gives
the same key, so a receiver's cached JWKS stays valid across restarts), by a seeded prime search;
signing is one modular exponentiation. No crypto library is needed for either, and the emulator's
keys protect nothing: they exist so that receivers' real verification code runs unchanged.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import math
import random
from dataclasses import dataclass
from typing import Any

import orjson

from emulator.ids import derive_rng

SECRET_PREFIX = "whsec_"
KEY_BITS = 2048
_E = 65537
_SMALL_PRIMES = tuple(p for p in range(3, 2000, 2) if all(p % d for d in range(3, math.isqrt(p) + 1, 2)))
# DER of DigestInfo{sha256, NULL}: what PKCS#1 v1.5 puts before the digest (RFC 8017 §9.2, note 1).
_SHA256_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


# -- Standard Webhooks (HMAC) ----------------------------------------------------------------------
def new_secret(rng: random.Random) -> str:
    return SECRET_PREFIX + base64.b64encode(rng.randbytes(32)).decode()


def secret_key(secret: str, *, raw: bool = False) -> bytes:
    """The HMAC key of a secret: the base64-decoded part after `whsec_` (or, in raw mode, the UTF-8
    bytes of the whole string, as one early report had it)."""
    if raw:
        return secret.encode()
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def hmac_signature(secret: str, msg_id: str, timestamp: int, body: bytes, *, raw: bool = False) -> str:
    """`v1,<base64>` for one secret."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret, raw=raw), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets: list[str], msg_id: str, timestamp: int, body: bytes, *, raw: bool = False) -> str:
    """The `webhook-signature` header: one `v1,` entry per secret, space-separated."""
    return " ".join(hmac_signature(s, msg_id, timestamp, body, raw=raw) for s in secrets)


# -- RS256 -----------------------------------------------------------------------------------------
def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _int_bytes(n: int) -> bytes:
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


def _probably_prime(n: int, rng: random.Random, rounds: int = 40) -> bool:
    """Miller-Rabin with seeded bases (error below 4^-rounds)."""
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(rng.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(rng: random.Random, bits: int) -> int:
    while True:
        n = rng.getrandbits(bits) | (3 << (bits - 2)) | 1  # top two bits set: p*q has all the bits
        if all(n % p for p in _SMALL_PRIMES) and (n - 1) % _E and _probably_prime(n, rng):
            return n


@dataclass(frozen=True, slots=True)
class RsaKey:
    n: int
    d: int
    p: int
    q: int

    @property
    def size(self) -> int:
        return (self.n.bit_length() + 7) // 8

    @property
    def kid(self) -> str:
        """The RFC 7638 thumbprint of the public key."""
        canonical = orjson.dumps({"e": _b64url(_int_bytes(_E)), "kty": "RSA", "n": _b64url(_int_bytes(self.n))})
        return _b64url(hashlib.sha256(canonical).digest())

    def jwk(self) -> dict[str, str]:
        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": _b64url(_int_bytes(self.n)),
            "e": _b64url(_int_bytes(_E)),
        }

    def sign(self, message: bytes) -> bytes:
        """RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2), computed with the CRT."""
        digest = _SHA256_INFO + hashlib.sha256(message).digest()
        encoded = b"\x00\x01" + b"\xff" * (self.size - 3 - len(digest)) + b"\x00" + digest
        m = int.from_bytes(encoded, "big")
        m1, m2 = pow(m, self.d % (self.p - 1), self.p), pow(m, self.d % (self.q - 1), self.q)
        h = (pow(self.q, -1, self.p) * (m1 - m2)) % self.p
        return (m2 + h * self.q).to_bytes(self.size, "big")


@functools.lru_cache(maxsize=4)
def derive_key(seed: int, bits: int = KEY_BITS) -> RsaKey:
    """The emulator's RSA key pair for a seed (about a second of work: call it off the event loop)."""
    rng = derive_rng(seed, "webhooks", "rsa", str(bits))
    while True:
        p, q = _prime(rng, bits // 2), _prime(rng, bits // 2)
        if p == q:
            continue
        n = p * q
        lam = math.lcm(p - 1, q - 1)
        if n.bit_length() == bits and math.gcd(_E, lam) == 1:
            return RsaKey(n=n, d=pow(_E, -1, lam), p=p, q=q)


def jwks(key: RsaKey) -> dict[str, Any]:
    return {"keys": [key.jwk()]}


def jwt(key: RsaKey, claims: dict[str, Any]) -> str:
    header = {"alg": "RS256", "kid": key.kid, "typ": "JWT"}
    signing_input = _b64url(orjson.dumps(header)) + "." + _b64url(orjson.dumps(claims))
    return signing_input + "." + _b64url(key.sign(signing_input.encode()))


def body_hash(body: bytes) -> str:
    """The `sha256` claim: base64url of the body's SHA-256, binding the token to this body."""
    return _b64url(hashlib.sha256(body).digest())
