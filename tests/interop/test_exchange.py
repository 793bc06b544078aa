"""The exchange, end to end with independent tools: PyJWT (with `cryptography`) signs the
consumer's client assertion, a voucher is obtained over HTTP from the token endpoint, PyJWT
verifies the voucher against the published JWKS, a person is read through the X-Road-style
gateway, and the read shows in that person's data-usage log (`publica exchange usage`)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import serialization


@pytest.fixture(scope="module")
def exchange(publica) -> dict:
    return publica.credentials("exchange")


def client_assertion(exchange: dict, private_key_pem: str | None = None, **overrides) -> str:
    now = int(time.time())
    claims = {
        "iss": exchange["client_id"],
        "sub": exchange["client_id"],
        "aud": exchange["token_url"],
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 300,
        "purposeId": exchange["purpose_id"],
    }
    claims.update(overrides)
    return jwt.encode(
        claims,
        private_key_pem or exchange["private_key_pem"],
        algorithm="ES256",
        headers={"kid": exchange["key_id"], "typ": "JWT"},
    )


def token_request(exchange: dict, assertion: str) -> requests.Response:
    return requests.post(
        exchange["token_url"],
        data={
            "grant_type": "client_credentials",
            "client_id": exchange["client_id"],
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
        timeout=10,
    )


@pytest.fixture(scope="module")
def voucher(exchange: dict) -> str:
    response = token_request(exchange, client_assertion(exchange))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    return body["access_token"]


def test_the_voucher_is_an_at_jwt_signed_with_a_published_key(publica, exchange, voucher):
    header = jwt.get_unverified_header(voucher)
    assert header["typ"].lower() == "at+jwt"
    keys = jwt.PyJWKClient(f"{publica.base_url}/.well-known/jwks.json")
    signing_key = keys.get_signing_key_from_jwt(voucher)
    claims = jwt.decode(
        voucher,
        signing_key.key,
        algorithms=["RS256"],  # what docs/exchange.md promises, not whatever the header says
        options={"verify_aud": False},
    )
    assert claims["purposeId"] == exchange["purpose_id"]
    assert claims["client_id"] == exchange["client_id"]
    assert claims["exp"] > time.time()


def test_a_person_is_read_through_the_gateway_and_the_read_is_in_their_usage_log(publica, exchange, voucher):
    person_id = exchange["sample_person_id"]
    request_id = str(uuid.uuid4())
    url = publica.base_url + exchange["services"]["person_lookup"].replace("{id}", person_id)
    response = requests.get(
        url,
        headers={
            "Authorization": f"Bearer {voucher}",
            "X-Road-Client": exchange["client_header"],
            "X-Road-Id": request_id,
            "X-Road-Issue": "TAX-2026-0042",
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    person = response.json()
    assert person["national_id"] == person_id
    assert response.headers["X-Road-Id"] == request_id
    assert response.headers["X-Road-Client"] == exchange["client_header"]
    assert request_hash_is_base64(response.headers["X-Road-Request-Hash"]), response.headers

    usage = publica.cli("exchange", "usage", person_id)
    assert usage.returncode == 0, usage.stderr
    entries = [json.loads(line) for line in usage.stdout.splitlines() if line.strip()]
    mine = [e for e in entries if e["request_id"] == request_id]
    assert len(mine) == 1, entries
    assert mine[0]["purpose"]["id"] == exchange["purpose_id"]
    assert mine[0]["purpose"]["legal_basis"]
    assert mine[0]["data_items"]


def test_the_gateway_refuses_a_call_without_a_voucher_in_x_roads_error_format(publica, exchange):
    url = publica.base_url + exchange["services"]["person_lookup"].replace("{id}", exchange["sample_person_id"])
    response = requests.get(url, headers={"X-Road-Client": exchange["client_header"]}, timeout=10)
    assert response.status_code in (401, 403)
    assert response.headers.get("X-Road-Error")
    body = response.json()
    assert body["type"] == response.headers["X-Road-Error"]
    assert body["message"]


def test_an_assertion_signed_with_another_key_gets_no_voucher(exchange):
    stranger = ec.generate_private_key(ec.SECP256R1())
    pem = stranger.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    response = token_request(exchange, client_assertion(exchange, private_key_pem=pem))
    assert response.status_code in (400, 401), response.text
    assert response.json()["error"] == "invalid_client"


def test_a_replayed_assertion_gets_no_second_voucher(exchange):
    assertion = client_assertion(exchange)
    assert token_request(exchange, assertion).status_code == 200
    again = token_request(exchange, assertion)
    assert again.status_code in (400, 401), again.text
    assert again.json()["error"] in ("invalid_client", "invalid_grant")


def test_the_message_log_verifies(publica):
    result = publica.cli("exchange", "verify-log")
    assert result.returncode == 0, result.stderr
    assert "intact" in result.stdout


def request_hash_is_base64(value: str) -> bool:
    return len(base64.b64decode(value)) in (hashlib.sha256().digest_size, hashlib.sha512().digest_size)
