//! The OpenAPI 3.1 description of the data API as Publica serves it (`/openapi/registry.json`).

use utoipa::OpenApi;

use super::wire::{
    Answer, ChangesBody, Content, ExistsBody, HistoryBody, ListBody, QueryBody, QueryWriteBody, ValueBody, Version,
    WriteBody,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Publica registry: GovStack Digital Registries data API",
        version = "1.0",
        description = "The GovStack Digital Registries building block's data API over Publica's base registers \
            (`/data/{registry}/{version}/…`). Authenticate with `Authorization: Bearer <API key>` (a key of the \
            `registry` block) and send `Information-Mediator-Client: INSTANCE/CLASS/MEMBER/SUBSYSTEM`. Only the \
            organisation that owns a register reads and writes it here; other organisations read registers through \
            the exchange. Invalid input is answered 400 with problem+json naming the field; `read` answers 404 \
            `{\"detail\": \"no record found\"}` as GovStack specifies. Records keep their history on two time axes: \
            reads take `asOf` (valid time) and `knownAt` (transaction time), writes `validFrom`, updates may be \
            recorded as corrections; `history` and `changes` (the change feed) are Publica extensions."
    ),
    paths(
        super::list::list,
        super::data::create,
        super::data::read,
        super::data::exists,
        super::data::update,
        super::data::update_or_create,
        super::data::delete,
        super::data::read_value,
        super::usage::my_personal_data_usage,
        super::extensions::history,
        super::extensions::changes,
    ),
    components(schemas(
        Content,
        WriteBody,
        QueryBody,
        QueryWriteBody,
        ExistsBody,
        Answer,
        ListBody,
        ValueBody,
        Version,
        HistoryBody,
        ChangesBody,
        super::usage::PersonalDataUsage,
        publica_kernel::error::Problem,
        publica_kernel::error::FieldError
    )),
    tags(
        (name = "data", description = "GovStack Digital Registries data API"),
        (name = "publica", description = "Publica extensions: history and change feed")
    ),
    modifiers(&BearerAuth),
    security(("api_key" = []))
)]
pub struct RegistryApi;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        openapi.components.get_or_insert_with(Default::default).add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key of the registry block"))
                    .build(),
            ),
        );
    }
}
