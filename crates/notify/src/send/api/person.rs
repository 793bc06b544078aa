//! The recipient of legal notifications, as the recipient's endpoints see them: the person
//! signed in to this browser through Publica's identity provider, with a verified identity
//! (proofed against the population register) and two factors ([`NEED`]); their national
//! identifier is the `taxId` senders address them by. The notify block does not depend on the
//! identity block: it asks the kernel's [`publica_kernel::citizen`] interface, which the
//! identity block provides when it runs.
//!
//! The session cookie is only honoured from this site: a request a browser says comes from
//! another site (`Sec-Fetch-Site`, or an `Origin` of another host on a change) is refused,
//! so no other site can read a person's notifications, record an access that perfects one, or
//! change their addresses. API keys never act for a person, and the header through which the
//! platform once named a person ([`RETIRED_PERSON_HEADER`]) is refused with an explanation.

use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use publica_kernel::audit::Actor;
use publica_kernel::citizen::{Aal, Access, CitizenProvider, Need, next_step};

use super::{ApiResult, Problem, State};

/// What a recipient must have: a verified identity and two factors (eIDAS "substantial", the
/// level SEND asks of persons with SPID or CIE).
pub const NEED: Need = Need::verified(Aal::Aal2);

/// The header a platform organisation's key once named a person with; no longer accepted.
pub const RETIRED_PERSON_HEADER: &str = "x-publica-national-id";

const FORBIDDEN: &str = "PN_GENERIC_FORBIDDEN";

/// A person reading their own notifications.
pub struct Person {
    pub tax_id: String,
    pub actor: Actor,
}

fn forbidden(detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::FORBIDDEN, FORBIDDEN, None, detail)
}

/// Whether the browser says the request comes from another site.
fn from_another_site(parts: &Parts) -> bool {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    if matches!(header("sec-fetch-site"), Some("cross-site" | "same-site")) {
        return true;
    }
    let changes = !matches!(parts.method, Method::GET | Method::HEAD);
    let origin_host = header(header::ORIGIN.as_str()).map(|o| o.split_once("://").map_or(o, |(_, host)| host));
    changes && origin_host.is_some_and(|origin| Some(origin) != header(header::HOST.as_str()))
}

/// Where the person comes back to after signing in: this address for a read, the home page
/// after a change (which they make again).
fn back(parts: &Parts) -> String {
    match (&parts.method, parts.uri.path_and_query()) {
        (&Method::GET, Some(pq)) => pq.as_str().to_string(),
        _ => "/".to_string(),
    }
}

/// The person signed in to this browser, or SEND's problem saying what is missing: 401 with
/// the sign-in address (`signInUrl`) when nobody is signed in, 403 with it when the person
/// must sign in more strongly or verify their identity first, 503 when no identity provider
/// runs in this deployment. With `or_sender`, the endpoint also serves senders, and the
/// answers say so.
pub async fn person(send: &State, parts: &Parts, or_sender: bool) -> ApiResult<Person> {
    if parts.headers.contains_key(RETIRED_PERSON_HEADER) {
        return Err(forbidden(format!(
            "{RETIRED_PERSON_HEADER} is no longer accepted: the recipient signs in to Publica's identity provider \
             (see docs/notify-send.md)"
        )));
    }
    if parts.headers.contains_key("x-api-key") {
        return Err(forbidden(
            "the recipient's endpoints act for the person signed in to Publica's identity provider; API keys are for \
             senders",
        ));
    }
    if from_another_site(parts) {
        return Err(forbidden("requests from another site are refused"));
    }
    let unavailable = || {
        let detail = "recipients sign in to Publica's identity provider, which does not run in this deployment";
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "PN_GENERIC_UNAVAILABLE", None, detail)
    };
    let Some(provider) = send.kernel().get::<CitizenProvider>() else {
        return Err(if or_sender { forbidden("send the x-api-key header") } else { unavailable() });
    };
    let citizen = provider.0.citizen(&parts.headers).await?;
    let signed_in = citizen.is_some();
    match next_step(provider.0.as_ref(), citizen, &back(parts), &NEED) {
        Access::Granted(c) => {
            let tax_id = c.verified_national_id().unwrap_or_default().to_string();
            Ok(Person { actor: Actor(format!("person:{tax_id}")), tax_id })
        }
        Access::Redirect(url) if signed_in => {
            let detail = format!("verify your identity and sign in with two factors first: {url}");
            Err(Problem { sign_in: Some(url), ..forbidden(detail) })
        }
        Access::Redirect(url) => {
            let detail = if or_sender {
                format!("send the x-api-key header (senders), or sign in with a verified identity (recipients): {url}")
            } else {
                format!("sign in with a verified identity: {url}")
            };
            Err(Problem { sign_in: Some(url), ..Problem::new(StatusCode::UNAUTHORIZED, FORBIDDEN, None, detail) })
        }
        Access::Unavailable => Err(unavailable()),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    fn parts(method: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = Request::builder().method(method).uri("/delivery/notifications/received?size=1");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(()).expect("request").into_parts().0
    }

    #[test]
    fn requests_from_other_sites_are_told_apart() {
        assert!(!from_another_site(&parts("GET", &[])));
        assert!(!from_another_site(&parts("GET", &[("sec-fetch-site", "same-origin")])));
        assert!(!from_another_site(&parts("GET", &[("sec-fetch-site", "none")])));
        assert!(from_another_site(&parts("GET", &[("sec-fetch-site", "cross-site")])));
        assert!(from_another_site(&parts("GET", &[("sec-fetch-site", "same-site")])));
        let host = ("host", "publica.example");
        assert!(!from_another_site(&parts("PUT", &[host, ("origin", "https://publica.example")])));
        assert!(from_another_site(&parts("PUT", &[host, ("origin", "https://evil.example")])));
        assert!(from_another_site(&parts("DELETE", &[host, ("origin", "null")])));
        assert!(!from_another_site(&parts("PUT", &[host])));
    }

    #[test]
    fn a_reader_comes_back_to_what_they_read() {
        assert_eq!(back(&parts("GET", &[])), "/delivery/notifications/received?size=1");
        assert_eq!(back(&parts("PUT", &[])), "/");
    }
}
