//! The GovStack Digital Registries data API over the registers, at the root paths
//! `/data/{registry}/{version}/…` (GovStack's clients append them to their base URL), with
//! Publica's bitemporal extensions. The paths are those of GovStack's OpenAPI template
//! (`update-or-create`, `read-value`); the camel-case spellings of its prose (`updateOrCreate`,
//! `readValue`) are accepted too.

mod caller;
mod data;
mod error;
mod extensions;
mod list;
mod matching;
mod openapi;
mod usage;
mod wire;

use axum::Router;
use axum::routing::{delete, get, post, put};
use publica_kernel::Kernel;

pub use self::caller::CLIENT_HEADER;
pub use self::openapi::RegistryApi;

/// The data API's routes.
pub fn routes(kernel: &Kernel) -> Router {
    Router::new()
        .route("/data/MyPersonalDataUsage/1.0", get(usage::my_personal_data_usage))
        .route("/data/{registry}/{version}", get(list::list))
        .route("/data/{registry}/{version}/create", post(data::create))
        .route("/data/{registry}/{version}/read", post(data::read))
        .route("/data/{registry}/{version}/exists", post(data::exists))
        .route("/data/{registry}/{version}/update", put(data::update))
        .route("/data/{registry}/{version}/update-or-create", post(data::update_or_create))
        .route("/data/{registry}/{version}/updateOrCreate", post(data::update_or_create))
        .route("/data/{registry}/{version}/changes", get(extensions::changes))
        .route("/data/{registry}/{version}/{id}/delete", delete(data::delete))
        .route("/data/{registry}/{version}/{id}/read-value/{file}", get(data::read_value))
        .route("/data/{registry}/{version}/{id}/readValue/{file}", get(data::read_value))
        .route("/data/{registry}/{version}/{id}/history", get(extensions::history))
        .with_state(kernel.clone())
}
