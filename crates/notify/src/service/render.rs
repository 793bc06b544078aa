//! Rendering stored template versions with the template engine: for sending, for previews and
//! for letters' PDFs.

use publica_kernel::error::{Error, Result};

use super::Notify;
use crate::domain::kinds::Channel;
use crate::domain::template::{self, Personalisation, RenderError, RenderOptions, Rendered};
use crate::store::{self, NotificationRow, TemplateVersion};

/// Render a stored version with personalisation. The letter contact block is the version's.
pub fn render_version(
    t: &TemplateVersion,
    personalisation: &Personalisation,
    options: RenderOptions<'_>,
) -> Result<Rendered, RenderError> {
    let options = RenderOptions { letter_contact_block: t.letter_contact_block.as_deref(), ..options };
    template::render(&source(t), personalisation, &options)
}

fn source(t: &TemplateVersion) -> template::Template<'_> {
    let kind = match Channel::parse(&t.kind) {
        Some(Channel::Email) => template::TemplateType::Email,
        Some(Channel::Sms) => template::TemplateType::Sms,
        _ => template::TemplateType::Letter,
    };
    template::Template { kind, subject: t.subject.as_deref(), content: &t.content }
}

/// The placeholders a template asks for, in Notify's order, once each.
pub fn placeholders_of(t: &TemplateVersion) -> Vec<String> {
    let options = RenderOptions { letter_contact_block: t.letter_contact_block.as_deref(), ..Default::default() };
    template::template_placeholders(&source(t), &options)
}

impl Notify {
    /// A letter's PDF: the uploaded one, or the template rendered with its personalisation.
    pub async fn letter_pdf(&self, n: &NotificationRow) -> Result<Vec<u8>> {
        if let Some(file) = store::letter_file(self.kernel.db(), n.id).await? {
            return self
                .kernel
                .keys()
                .master()
                .decrypt(n.id.as_bytes(), &file.sealed)
                .map_err(|_| Error::internal("the letter cannot be opened with this master key"));
        }
        let t = store::template(self.kernel.db(), n.service_id, n.template_id, Some(n.template_version))
            .await?
            .ok_or_else(|| Error::not_found(format!("template {}", n.template_id)))?;
        let content = self.open_content(n)?.ok_or_else(|| Error::not_found("letter content (purged)"))?;
        let letter = template::Letter {
            subject: t.subject.as_deref().unwrap_or_default(),
            content: &t.content,
            personalisation: &content.personalisation,
            contact_block: t.letter_contact_block.as_deref(),
            date: n.created_at.inner().date(),
            language: template::LetterLanguage::English,
        };
        template::letter_pdf(&letter).map_err(|e| Error::internal(e.to_string()))
    }
}
