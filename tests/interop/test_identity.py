"""The identity provider against an independent relying party: Authlib's OpenID Connect client
(the same app client its Flask and Starlette integrations use, unmodified) drives the code flow
with PKCE, while a headless Chromium walks Publica's sign-in, MFA, proofing and consent pages
as a person would. Authlib validates every ID token itself (signature from the published JWKS,
issuer, audience, nonce, at_hash, expiry)."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator

import pytest
import requests
from authlib.integrations.base_client import BaseApp, OAuth2Mixin, OpenIDMixin
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from harness.browser import RelyingParty, chromium, walk_sign_in

CALLBACK = "http://127.0.0.1:8400/callback"
SUBSTANTIAL = "http://eidas.europa.eu/LoA/substantial"
LOW = "http://eidas.europa.eu/LoA/low"


class _NoFramework:
    """Authlib's app clients hand refreshed tokens to their web framework; there is none here."""

    def update_token(self, token, refresh_token=None, access_token=None) -> None:
        pass


class RelyingPartyApp(OAuth2Mixin, OpenIDMixin, BaseApp):
    client_cls = OAuth2Session


@pytest.fixture(scope="module")
def identity(publica) -> dict:
    return publica.credentials("identity")


@pytest.fixture(scope="module")
def rp() -> Iterator[RelyingParty]:
    server = RelyingParty(8400).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with chromium() as b:
        yield b


def app(identity: dict, **kwargs) -> RelyingPartyApp:
    confidential = identity["clients"]["confidential"]
    options = dict(
        client_id=confidential["client_id"],
        client_secret=confidential["client_secret"],
        server_metadata_url=identity["issuer"] + "/.well-known/openid-configuration",
        client_kwargs={"scope": "openid profile email offline_access", "code_challenge_method": "S256"},
    )
    options.update(kwargs)
    return RelyingPartyApp(_NoFramework(), name="publica", **options)


def citizen(identity: dict, level: str, index: int = 0) -> dict:
    """A demo citizen at this level. Tests use different people where they can: a TOTP code
    is accepted once, so a second sign-in of the same person within 30 s waits for the next."""
    found = [c for c in identity["citizens"] if c["level"] == level]
    assert len(found) > index, f"the demo has no citizen #{index} at level {level}: {identity['citizens']}"
    return found[index]


def sign_in(browser, client: RelyingPartyApp, rp: RelyingParty, account: dict, context=None, **params) -> tuple:
    """Run the browser through the flow; returns (token, id token claims, browser context)."""
    proofing = params.pop("_proofing", None)
    request = client.create_authorization_url(CALLBACK, **params)
    context = context or browser.new_context()
    page = context.new_page()
    page.goto(request["url"])
    before = len(rp.callbacks)
    walk_sign_in(page, account, until=CALLBACK, proofing=proofing)
    assert len(rp.callbacks) == before + 1
    callback = rp.callbacks[-1]
    page.close()
    assert callback.get("state") == request["state"], callback
    assert callback.get("iss") == client.load_server_metadata()["issuer"], "RFC 9207 iss"
    assert "code" in callback, callback
    token = client.fetch_access_token(CALLBACK, code=callback["code"], code_verifier=request["code_verifier"])
    claims = client.parse_id_token(token, nonce=request["nonce"])
    return token, claims, context


def test_discovery_issuer_is_byte_exact(identity: dict) -> None:
    metadata = requests.get(identity["issuer"] + "/.well-known/openid-configuration", timeout=10).json()
    assert metadata["issuer"] == identity["issuer"]
    assert "RS256" in metadata["id_token_signing_alg_values_supported"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    for endpoint in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint"):
        assert metadata[endpoint].startswith("http"), endpoint


def test_code_flow_with_pkce_userinfo_and_refresh(identity: dict, rp: RelyingParty, browser) -> None:
    client = app(identity)
    account = citizen(identity, "verified", 0)
    token, claims, context = sign_in(browser, client, rp, account)
    assert claims["sub"] and claims["aud"] == client.client_id
    assert "refresh_token" in token, "offline_access was asked for and the client may have it"

    info = client.userinfo(token=token)
    assert info["sub"] == claims["sub"]
    assert info["email"] == account["email"]

    refreshed = client.fetch_access_token(grant_type="refresh_token", refresh_token=token["refresh_token"])
    assert refreshed["refresh_token"] != token["refresh_token"], "refresh tokens rotate"
    again = client.userinfo(token=refreshed)
    assert again["sub"] == claims["sub"]

    # Reusing the first refresh token is detected, and revokes the family it belongs to.
    reuse = requests.post(
        client.load_server_metadata()["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=(client.client_id, client.client_secret),
        timeout=10,
    )
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    after = requests.post(
        client.load_server_metadata()["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]},
        auth=(client.client_id, client.client_secret),
        timeout=10,
    )
    assert after.status_code == 400, "the whole family is revoked after a reuse"
    context.close()


def test_public_client_needs_pkce(identity: dict) -> None:
    public = identity["clients"]["public"]
    metadata = requests.get(identity["issuer"] + "/.well-known/openid-configuration", timeout=10).json()
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": public["client_id"],
            "redirect_uri": public["redirect_uri"],
            "scope": "openid",
            "state": "s1",
        }
    )
    answer = requests.get(f"{metadata['authorization_endpoint']}?{query}", allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.text[:500]
    location = urllib.parse.urlsplit(answer.headers["Location"])
    params = dict(urllib.parse.parse_qsl(location.query))
    assert params["error"] == "invalid_request" and "code_challenge" in params.get("error_description", "")
    assert params["state"] == "s1" and params["iss"] == metadata["issuer"]


def test_step_up_from_low_to_substantial(identity: dict, rp: RelyingParty, browser) -> None:
    """A person signed in at a low level is asked for what a substantial level needs: their
    second factor, then identity proofing against the population register (through the
    exchange); the ID token then reports the level reached, with the register's claims."""
    account = citizen(identity, "aal2")
    client = app(identity, client_kwargs={"scope": "openid profile", "code_challenge_method": "S256"})
    _, low, context = sign_in(browser, client, rp, account, acr_values=LOW)
    assert low["acr"] == LOW

    _, high, _ = sign_in(browser, client, rp, account, context, acr_values=SUBSTANTIAL, _proofing=proofing_facts(account))
    assert high["acr"] == SUBSTANTIAL
    assert high["sub"] == low["sub"]
    context.close()


def proofing_facts(account: dict) -> dict:
    """What a person enters at proofing: the demo gives each citizen's facts from the register."""
    return {name: account[name] for name in ("national_id", "given_name", "family_name", "birthdate")}


def test_private_key_jwt_client(publica, identity: dict, rp: RelyingParty, browser, tmp_path) -> None:
    """A client registered with the CLI and its public key authenticates at the token endpoint
    with an ES256 client assertion that Authlib signs (RFC 7523)."""
    key = ECKey.generate_key("P-256", parameters={"kid": "rp-key-1", "alg": "ES256", "use": "sig"})
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    created = publica.cli(
        "identity", "clients", "create", "--org", "tax-office", "--name", "Tax office (keys)",
        "--redirect-uri", CALLBACK, "--auth-method", "private_key_jwt", "--jwks", str(path),
    )
    assert created.returncode == 0, created.stderr
    registered = json.loads(created.stdout)
    assert registered["client_secret"] is None, "a key-authenticated client gets no secret"
    client_id = registered["client"]["client_id"]
    metadata = requests.get(identity["issuer"] + "/.well-known/openid-configuration", timeout=10).json()
    client = RelyingPartyApp(
        _NoFramework(),
        name="keys",
        client_id=client_id,
        client_secret=key,
        server_metadata_url=identity["issuer"] + "/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email", "code_challenge_method": "S256", "token_endpoint_auth_method": "private_key_jwt"},
        client_auth_methods=[PrivateKeyJWT(metadata["token_endpoint"], alg="ES256")],
    )
    token, claims, context = sign_in(browser, client, rp, citizen(identity, "verified", 1))
    assert claims["aud"] == client_id
    assert client.userinfo(token=token)["sub"] == claims["sub"]
    context.close()


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256"])
def test_private_key_jwt_client_credentials(publica, identity: dict, tmp_path, alg: str) -> None:
    """Each signing algorithm a client may use for its assertion (RFC 7523), signed by Authlib:
    a client_credentials grant gives the client a JWT access token (RFC 9068) for itself."""
    key = ECKey.generate_key("P-256") if alg == "ES256" else RSAKey.generate_key(2048)
    key = key.__class__.import_key(key.as_dict(private=True), {"kid": f"rp-{alg}", "alg": alg, "use": "sig"})
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    created = publica.cli(
        "identity", "clients", "create", "--org", "tax-office", "--name", f"Tax office batch ({alg})",
        "--redirect-uri", CALLBACK, "--auth-method", "private_key_jwt", "--jwks", str(path),
        "--grant-type", "client_credentials",
    )
    assert created.returncode == 0, created.stderr
    client_id = json.loads(created.stdout)["client"]["client_id"]
    metadata = requests.get(identity["issuer"] + "/.well-known/openid-configuration", timeout=10).json()
    assert alg in metadata["token_endpoint_auth_signing_alg_values_supported"]
    session = OAuth2Session(client_id, key, token_endpoint_auth_method="private_key_jwt")
    session.register_client_auth_method(PrivateKeyJWT(metadata["token_endpoint"], alg=alg))
    token = session.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    keys = KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
    access = jose_jwt.decode(token["access_token"], keys)
    assert access.header["typ"] == "at+jwt"
    assert access.claims["client_id"] == client_id and access.claims["iss"] == identity["issuer"]

    # The same assertion cannot be replayed (its jti is spent).
    assertion = PrivateKeyJWT(metadata["token_endpoint"], alg=alg).sign(session, metadata["token_endpoint"])
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }
    first = requests.post(metadata["token_endpoint"], data=form, timeout=10)
    again = requests.post(metadata["token_endpoint"], data=form, timeout=10)
    assert first.status_code == 200, first.text
    assert again.status_code == 401 and again.json()["error"] == "invalid_client"


def test_rp_initiated_and_back_channel_logout(identity: dict, rp: RelyingParty, browser) -> None:
    client = app(identity)
    account = citizen(identity, "aal1")
    token, claims, context = sign_in(browser, client, rp, account)
    after_logout = identity["clients"]["confidential"]["post_logout_redirect_uri"]
    logout = client.create_logout_url(post_logout_redirect_uri=after_logout, id_token_hint=token["id_token"])
    page = context.new_page()
    seen = len(rp.logout_tokens)
    page.goto(logout["url"])
    page.wait_for_url("http://127.0.0.1:8400/**")
    assert dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(page.url).query)).get("state") == logout["state"]
    logout_token = rp.wait_logout_token(seen + 1)
    keys = KeySet.import_key_set(requests.get(client.load_server_metadata()["jwks_uri"], timeout=10).json())
    decoded = jose_jwt.decode(logout_token, keys)
    assert decoded.header["typ"] == "logout+jwt"
    assert decoded.claims["iss"] == identity["issuer"] and decoded.claims["aud"] in (client.client_id, [client.client_id])
    assert decoded.claims["sid"] == claims["sid"]
    assert "http://schemas.openid.net/event/backchannel-logout" in decoded.claims["events"]
    assert "nonce" not in decoded.claims
    # The browser session is over: the next authorization asks to sign in again.
    request = client.create_authorization_url(CALLBACK, prompt="none")
    page.goto(request["url"])
    page.wait_for_url("http://127.0.0.1:8400/**")
    assert dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(page.url).query))["error"] == "login_required"
    context.close()
