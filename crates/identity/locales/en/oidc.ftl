# The OpenID Connect provider: errors of requests, the consent page, logout, and the staff
# pages that manage clients.

oidc-error-title = This sign-in request cannot be answered
oidc-error-detail = Technical detail:
oidc-error-advice = Go back to the service you came from and try again. If it happens again, tell that service.
oidc-error-word = Error:
oidc-error-summary = There is a problem
oidc-error-bad-request = The request from the service is malformed.
oidc-error-no-client = The request does not say which service it comes from.
oidc-error-unknown-client = The service that sent you here is not registered with this identity provider.
oidc-error-no-redirect-uri = The request does not say where to send you back.
oidc-error-redirect-uri = The request asks to send you back to an address the service has not registered, so it is not followed.
oidc-error-pushed = The prepared request has expired or was already used.
oidc-error-expired = This sign-in request has expired or was already answered.
oidc-error-logout = The sign-out request from the service is not valid.
oidc-error-post-logout-uri = The sign-out request asks to send you to an address the service has not registered, so it is not followed.
oidc-error-other-browser = This sign-in request was started in another browser (or this browser’s cookies were cleared). For your safety it can only be finished where it began: go back to the service and start again here.
oidc-error-logout-expired = This sign-out request has expired. Go back to the service and sign out again.

oidc-consent-title = Share your information with { $client }?
oidc-consent-lead = { $client }, run by { $organisation }, asks to know who you are.
oidc-consent-nothing = It will only know that you signed in, and an identifier that is different for every service.
oidc-consent-items = It will receive:
oidc-consent-verified = Your identity details come from the population register, as verified when you proved your identity.
oidc-consent-remembered = Your answer is remembered for this service. You can withdraw it at any time from your account page.
oidc-consent-approve = Allow
oidc-consent-deny = Do not allow

oidc-claim-name = your name
oidc-claim-legal-name = your given names and family name from the register
oidc-claim-birthdate = your date of birth
oidc-claim-email = your email address
oidc-claim-phone = your phone number
oidc-claim-address = your address
oidc-claim-national-id = your national identification number
oidc-claim-offline-access = access to this information when you are not signed in, until you withdraw it

oidc-logout-title = Sign out?
oidc-logout-lead = Do you want to sign out of your Publica account in this browser?
oidc-logout-lead-client = { $client } asks to sign you out of your Publica account in this browser.
oidc-logout-confirm = Sign out
oidc-logout-stay = Stay signed in
oidc-logout-done-title = You are signed out
oidc-logout-done = You are signed out of your Publica account in this browser. The services you used it with have been told.

oidc-clients-lead = Services that sign people in with Publica. Each has redirect addresses matched exactly, and a secret or keys to prove itself.
oidc-clients-register = Register a service
oidc-clients-none = No service is registered yet.
oidc-clients-caption = Registered services
oidc-clients-edit = Edit { $name }
oidc-clients-edit-title = Service { $client_id }
oidc-clients-done-updated = The service's settings are saved.
oidc-clients-done-deleted = The service is deleted, with every token issued to it.
oidc-clients-save = Save
oidc-clients-secret-title = Secret
oidc-clients-rotate-hint = A new secret replaces the current one at once: the service must be updated with it.
oidc-clients-rotate = Make a new secret
oidc-clients-delete-title = Delete
oidc-clients-delete-hint = People can no longer sign in to this service; its tokens stop working.
oidc-clients-delete = Delete this service
oidc-clients-registered = { $name } is registered
oidc-clients-rotated = New secret for { $name }
oidc-clients-secret-once = Copy the secret now: it is shown only this once and cannot be shown again.
oidc-clients-error-jwks = The keys are not JSON: paste a JWK set such as {"{"}"keys": [ … ]{"}"}.

oidc-field-name = Name
oidc-field-name-hint = Shown to people on the consent page.
oidc-field-client-id = Client ID
oidc-field-client-secret = Client secret
oidc-field-auth-method = Authentication at the token endpoint
oidc-field-auth-method-hint = client_secret_basic or client_secret_post use a secret; private_key_jwt uses the keys below; none is for public apps, which must use PKCE.
oidc-field-redirect-uris = Redirect addresses
oidc-field-redirect-uris-hint = One per line, compared character for character: https, or http on localhost or 127.0.0.1.
oidc-field-post-logout = Addresses after sign-out
oidc-field-post-logout-hint = One per line; where the service may send people after signing them out.
oidc-field-backchannel = Back-channel logout address
oidc-field-backchannel-hint = Optional: Publica posts a logout token here when a session ends.
oidc-field-jwks = Public keys (JWK set)
oidc-field-jwks-hint = For private_key_jwt and signed requests: RSA of 2048 bits or more, or P-256.
oidc-field-id-token-alg = ID token signature
oidc-field-id-token-alg-hint = RS256 is accepted by every client library.
oidc-field-userinfo-alg = Userinfo answer
oidc-field-userinfo-alg-hint = Plain JSON, or a signed JWT.
oidc-field-userinfo-plain = Plain JSON
oidc-field-subject-type = Identifier of people
oidc-field-subject-type-hint = Pairwise identifiers differ between services, so that services cannot link their users.
oidc-subject-pairwise = Pairwise (different for each service)
oidc-subject-public = Public (the account's identifier)
oidc-field-scopes = What the service may ask for
oidc-field-scopes-hint = openid is always allowed. Identity details from the register are released only for verified identities.
oidc-field-offline = Refresh tokens (offline access)
oidc-field-grant-types = Grants
oidc-field-grant-types-hint = client_credentials is for confidential services calling for themselves.
oidc-field-resources = Resource servers
oidc-field-resources-hint = Optional, one address a line: the APIs this service may name (RFC 8707 resource) as the audience of its access tokens.
oidc-field-default-acr = Default level of assurance
oidc-field-default-acr-hint = Asked for whenever the service's requests ask for less.
oidc-field-default-acr-none = None
oidc-field-simulate = Simulator
oidc-field-simulate-hint = For testing only: the service's ID tokens are deliberately broken this way, to check that it refuses them.
oidc-field-org = Organisation
oidc-field-org-hint = The organisation whose staff manage this service.
oidc-field-actions = Actions

oidc-simulate-none = Off (valid tokens)
oidc-simulate-wrong_issuer = Wrong issuer
oidc-simulate-wrong_audience = Wrong audience
oidc-simulate-bad_signature = Bad signature
oidc-simulate-expired = Expired
oidc-simulate-wrong_nonce = Wrong nonce
oidc-simulate-wrong_level = Wrong level of assurance

# The account page's activity log (kinds recorded by the provider).
acc-activity-oidc-sign-in = Signed in to a service
acc-activity-oidc-consent = Information shared with a service
acc-activity-oidc-consent-refused = Sharing with a service refused
acc-activity-oidc-consent-revoked = Sharing with a service withdrawn
