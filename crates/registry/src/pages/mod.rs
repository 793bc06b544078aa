//! The registry's pages for civil servants: the list of registers, a register's search and
//! fields, a record with its bitemporal history and "as of" reads, and, for the organisation
//! that keeps a register, the forms that create, change, correct and delete its records.
//! Server-rendered HTML forms that work without JavaScript, in every language Publica speaks.
//!
//! Access: registers are read by signed-in staff of public bodies (the platform operator and
//! agencies; businesses' staff are refused); writing needs the `member` role in the register's
//! owner organisation, which [`Registry`] checks again.

mod data;
mod diff;
mod fields;
mod forms;
mod record;
mod registers;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::get;
use publica_kernel::Kernel;
use publica_kernel::domain::OrgKind;
use publica_kernel::error::Error;
use publica_kernel::sessions::StaffSession;
use publica_kernel::web::{PageError, When};

use crate::domain::RegisterInfo;
use crate::service::Registry;

/// What every page handler receives.
#[derive(Clone)]
pub struct PagesState {
    kernel: Kernel,
    registry: Arc<Registry>,
}

impl FromRef<PagesState> for Kernel {
    fn from_ref(state: &PagesState) -> Kernel {
        state.kernel.clone()
    }
}

/// The block's HTML routes (empty when the registry service has not started).
pub fn routes(kernel: &Kernel) -> Router {
    let Some(registry) = kernel.get::<Registry>() else {
        return Router::new();
    };
    let state = PagesState { kernel: kernel.clone(), registry };
    Router::new()
        .route("/registry", get(registers::index))
        .route("/registry/{register}", get(registers::register))
        .route("/registry/{register}/new", get(forms::create_form).post(forms::create))
        .route("/registry/{register}/{id}", get(record::show))
        .route("/registry/{register}/{id}/change", get(forms::change_form).post(forms::change))
        .route("/registry/{register}/{id}/correct", get(forms::correct_form).post(forms::correct))
        .route("/registry/{register}/{id}/delete", get(forms::delete_form).post(forms::delete))
        .with_state(state)
}

/// Registers are for civil servants: staff of the platform operator and of agencies.
fn reader(staff: &StaffSession) -> Result<(), PageError> {
    match staff.org_kind {
        OrgKind::Platform | OrgKind::Agency => Ok(()),
        OrgKind::Business => {
            Err(PageError(Error::Forbidden("registers are open to the staff of public bodies only".into())))
        }
    }
}

/// Whether the staff member may write to the register: a member of the organisation keeping it.
fn can_write(info: &RegisterInfo, staff: &StaffSession) -> bool {
    staff.org_id == info.owner_org && staff.require("member").is_ok()
}

/// Refuse a write unless [`can_write`].
fn writer(info: &RegisterInfo, staff: &StaffSession) -> Result<(), PageError> {
    if can_write(info, staff) {
        return Ok(());
    }
    Err(PageError(Error::Forbidden(format!(
        "only members of the organisation that keeps the `{}` register write to it",
        info.name
    ))))
}

/// A problem with what was entered in a form, shown next to the field and in the summary.
#[derive(Clone, Debug)]
pub(crate) struct FieldError {
    /// The `id` of the input at fault.
    pub id: String,
    /// The JSON pointer of the field of the record at fault, if any.
    pub pointer: Option<String>,
    pub message: String,
    /// The language of the message when it differs from the page's.
    pub lang: Option<&'static str>,
}

/// The name and title of the register a page is about, for headings and breadcrumbs.
#[derive(Clone, Debug)]
pub(crate) struct RegisterHead {
    pub name: String,
    pub title: String,
}

impl RegisterHead {
    fn of(info: &RegisterInfo) -> RegisterHead {
        RegisterHead { name: info.name.clone(), title: info.title.clone() }
    }
}

#[cfg(test)]
mod tests;
