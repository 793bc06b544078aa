//! Registered clients (relying parties): their settings and the simulator setting that
//! deliberately breaks their ID tokens. The rules a registration must follow are in the
//! `check` submodule.

mod check;

use publica_kernel::crypto::Alg;
use publica_kernel::db::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

pub use check::{
    Checked, check, check_client_id, check_jwks, check_outbound_uri, check_secret, check_uri, public_address,
};

/// How a client proves who it is at the token, introspection, revocation and PAR endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    /// A public client (a single-page or native app): no secret, PKCE required.
    None,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 4] =
        [AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost, AuthMethod::PrivateKeyJwt, AuthMethod::None];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::None => "none",
        }
    }
    pub fn parse(text: &str) -> Option<AuthMethod> {
        AuthMethod::ALL.into_iter().find(|m| m.as_str() == text)
    }
    /// Whether the client holds a secret.
    pub fn uses_secret(self) -> bool {
        matches!(self, AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost)
    }
}

/// `pairwise` (a different `sub` per sector, the default) or `public` (the account id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    Pairwise,
    Public,
}

impl SubjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectType::Pairwise => "pairwise",
            SubjectType::Public => "public",
        }
    }
    pub fn parse(text: &str) -> Option<SubjectType> {
        [SubjectType::Pairwise, SubjectType::Public].into_iter().find(|s| s.as_str() == text)
    }
}

/// The grants a client may use at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    pub const ALL: [GrantType; 3] =
        [GrantType::AuthorizationCode, GrantType::RefreshToken, GrantType::ClientCredentials];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
        }
    }
    pub fn parse(text: &str) -> Option<GrantType> {
        GrantType::ALL.into_iter().find(|g| g.as_str() == text)
    }
}

/// The relying-party sandbox: ID tokens for a client with a setting other than `none` are
/// deliberately broken in that one way, so that a service team can test that its client
/// refuses them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Simulate {
    None,
    WrongIssuer,
    WrongAudience,
    BadSignature,
    Expired,
    WrongNonce,
    WrongLevel,
}

impl Simulate {
    pub const ALL: [Simulate; 7] = [
        Simulate::None,
        Simulate::WrongIssuer,
        Simulate::WrongAudience,
        Simulate::BadSignature,
        Simulate::Expired,
        Simulate::WrongNonce,
        Simulate::WrongLevel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Simulate::None => "none",
            Simulate::WrongIssuer => "wrong_issuer",
            Simulate::WrongAudience => "wrong_audience",
            Simulate::BadSignature => "bad_signature",
            Simulate::Expired => "expired",
            Simulate::WrongNonce => "wrong_nonce",
            Simulate::WrongLevel => "wrong_level",
        }
    }
    pub fn parse(text: &str) -> Option<Simulate> {
        Simulate::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Scopes a client may be allowed.
pub const SCOPES: [&str; 7] = ["openid", "profile", "email", "phone", "address", "national_id", "offline_access"];

/// Algorithms a client's assertions and request objects may be signed with.
pub const CLIENT_ALGS: [&str; 3] = ["RS256", "PS256", "ES256"];

/// A registered client, as the API, the pages and the CLI show it (never its secret).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Client {
    pub client_id: String,
    /// The organisation that owns the client; its staff manage it.
    pub org_id: Uuid,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    pub token_endpoint_auth_method: AuthMethod,
    /// The client's public keys (JWK set) for `private_key_jwt` and signed request objects.
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<Value>,
    /// `RS256` (default), `ES256` or `EdDSA`.
    #[schema(value_type = String)]
    pub id_token_signed_response_alg: Alg,
    /// When set, userinfo answers a JWT signed with this algorithm.
    #[schema(value_type = Option<String>)]
    pub userinfo_signed_response_alg: Option<Alg>,
    pub subject_type: SubjectType,
    /// The host pairwise subject identifiers are computed for (that of the redirect URIs);
    /// empty when the redirect URIs use a native app's private scheme: the sector is then the
    /// client itself ([`Client::pairwise_sector`]).
    pub sector_identifier: String,
    /// Scopes the client may ask for.
    pub scopes: Vec<String>,
    /// Whether the client may receive refresh tokens (`offline_access`).
    pub offline_access: bool,
    /// The level asked for when a request names none (an `acr` value).
    pub default_acr: Option<String>,
    pub grant_types: Vec<GrantType>,
    pub simulate: Simulate,
    /// Whether a secret is set (it is only ever shown when created or rotated).
    pub has_secret: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.token_endpoint_auth_method == AuthMethod::None
    }
    pub fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }
    /// Whether the client may be given refresh tokens (for grants with `offline_access`).
    pub fn may_refresh(&self) -> bool {
        self.offline_access && self.allows(GrantType::RefreshToken)
    }
    /// The client's public keys.
    pub fn keys(&self) -> Vec<&Value> {
        self.jwks
            .as_ref()
            .and_then(|s| s.get("keys"))
            .and_then(Value::as_array)
            .map(|k| k.iter().collect())
            .unwrap_or_default()
    }
    /// The sector pairwise subject identifiers are computed for: the redirect URIs' host, or,
    /// when they use a native app's private scheme (which any organisation may register too),
    /// the client itself (`client:{client_id}`), so that two clients of different owners never
    /// share subject identifiers through a scheme.
    pub fn pairwise_sector(&self) -> String {
        let web = self.redirect_uris.iter().all(|u| u.starts_with("https://") || u.starts_with("http://"));
        if web && !self.sector_identifier.is_empty() {
            self.sector_identifier.clone()
        } else {
            format!("client:{}", self.client_id)
        }
    }
    /// The origins of the redirect URIs, for a page's `form-action`.
    pub fn redirect_origins(&self) -> Vec<String> {
        let mut origins: Vec<String> = self
            .redirect_uris
            .iter()
            .chain(&self.post_logout_redirect_uris)
            .filter_map(|u| url::Url::parse(u).ok())
            .map(|u| u.origin().ascii_serialization())
            .filter(|o| o != "null")
            .collect();
        origins.sort();
        origins.dedup();
        origins
    }
}

/// A client's settings as given to register or update it. Every field but `name` and
/// `redirect_uris` has a default.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientSettings {
    pub name: String,
    /// Absolute URIs, matched exactly: `https://` (or `http://` on a loopback host, or a
    /// native app's private scheme), no fragment.
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// `client_secret_basic` (default), `client_secret_post`, `private_key_jwt` or `none`.
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
    /// A JWK set (`{"keys": [...]}`) of RSA or P-256 public keys; required for `private_key_jwt`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<Value>,
    /// `RS256` (default), `ES256` or `EdDSA`.
    #[serde(default)]
    pub id_token_signed_response_alg: Option<String>,
    #[serde(default)]
    pub userinfo_signed_response_alg: Option<String>,
    /// `pairwise` (default) or `public` (only the platform operator may choose it).
    #[serde(default)]
    pub subject_type: Option<String>,
    /// Default: `openid profile email`.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub offline_access: bool,
    #[serde(default)]
    pub default_acr: Option<String>,
    /// Default: `authorization_code` (and `refresh_token` when `offline_access`).
    #[serde(default)]
    pub grant_types: Option<Vec<String>>,
    /// `none` (default), `wrong_issuer`, `wrong_audience`, `bad_signature`, `expired`,
    /// `wrong_nonce` or `wrong_level`.
    #[serde(default)]
    pub simulate: Option<String>,
}

/// A client to register: its settings and, for the demo and migrations from another
/// provider, a chosen client id and secret.
#[derive(Clone, Debug)]
pub struct NewClient {
    pub settings: ClientSettings,
    /// A chosen client id (letters, digits, `-._~`, 3 to 100 characters); random otherwise.
    pub client_id: Option<String>,
    /// A chosen secret (at least 32 characters); random otherwise. Only for clients that
    /// authenticate with a secret.
    pub client_secret: Option<String>,
}

impl NewClient {
    pub fn new(settings: ClientSettings) -> NewClient {
        NewClient { settings, client_id: None, client_secret: None }
    }
}

impl ClientSettings {
    /// Settings with defaults for everything but the name and redirect URIs.
    pub fn new(name: &str, redirect_uris: &[&str]) -> ClientSettings {
        ClientSettings {
            name: name.into(),
            redirect_uris: redirect_uris.iter().map(|s| s.to_string()).collect(),
            post_logout_redirect_uris: Vec::new(),
            backchannel_logout_uri: None,
            token_endpoint_auth_method: None,
            jwks: None,
            id_token_signed_response_alg: None,
            userinfo_signed_response_alg: None,
            subject_type: None,
            scopes: None,
            offline_access: false,
            default_acr: None,
            grant_types: None,
            simulate: None,
        }
    }
}
