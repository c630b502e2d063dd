//! Documents to sign with Norwegian BankID: the upload, whose request is
//! built by hand (the generator does not support multipart bodies) in the
//! hook module and sent through the generated client's hooks
//! (`hooks::upload`), the download of the (signed) PDF
//! and the delete, sent by their generated methods. The paths are
//! `/document…` without `/v3`, as the provider's clients use them
//! (decision `document-paths`).

use futures_util::StreamExt as _;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::operations::{DOCUMENT_DELETE, DOCUMENT_GET, DOCUMENT_UPLOAD};
use crate::raw::{ResponseValue, types};
use crate::transport::{Asked, call, session_id};

/// The largest PDF [`DocumentsApi::upload`] sends (10 MiB).
///
/// ```
/// assert_eq!(identisure::providers::documents::MAX_DOCUMENT_BYTES, 10 * 1024 * 1024);
/// ```
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

/// Document operations; from [`Client::documents`].
///
/// ```
/// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
/// let api = client.documents();
/// # let _ = api;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DocumentsApi<'a> {
    pub(crate) client: &'a Client,
}

impl DocumentsApi<'_> {
    /// Uploads one PDF (multipart field `file`); answers its `id` and `hash`.
    /// Refused before sending when empty, not starting with `%PDF-`, or
    /// larger than [`MAX_DOCUMENT_BYTES`]. Sent once, never retried.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let client = identisure::Client::builder().credentials("a", "s").build().unwrap();
    /// let err = client.documents().upload(Vec::new()).await.unwrap_err();
    /// assert_eq!(err.to_string(), "invalid request: `file` must not be empty");
    /// # }
    /// ```
    pub async fn upload(&self, pdf: impl Into<Vec<u8>>) -> Result<types::Document> {
        let pdf = pdf.into();
        if pdf.is_empty() {
            return Err(Error::invalid("file", "must not be empty"));
        }
        if !pdf.starts_with(b"%PDF-") {
            return Err(Error::invalid("file", "must be a PDF (start with `%PDF-`)"));
        }
        if pdf.len() > MAX_DOCUMENT_BYTES {
            return Err(Error::invalid(
                "file",
                format!("must be at most {MAX_DOCUMENT_BYTES} bytes"),
            ));
        }
        let part = reqwest::multipart::Part::bytes(pdf)
            .file_name("document.pdf")
            .mime_str("application/pdf")
            .map_err(Error::from)?;
        let form = reqwest::multipart::Form::new().part("file", part);
        let raw = self.client.sending();
        let asked = Asked {
            raw,
            operation: &DOCUMENT_UPLOAD,
            id: None,
            attempt: 1,
        };
        // The one request no generated method sends (multipart): built by
        // hand in the hook module and sent through the same hooks.
        let send = crate::hooks::upload(raw, form);
        call(asked, send)
            .await?
            .into_value(|document| document, crate::decode::decode_body)
    }

    /// Downloads a document: the PDF bytes (after a BankID NO signature, the
    /// signed PDF). One GET by the generated method; the answer is capped like every answer
    /// ([`crate::ClientBuilder::max_response_bytes`], so raise it for large
    /// documents).
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// let pdf = client.documents().download("doc-1").await?;
    /// assert!(pdf.starts_with(b"%PDF-"));
    /// # Ok(()) }
    /// ```
    pub async fn download(&self, id: &str) -> Result<bytes::Bytes> {
        crate::validate::id(id)?;
        let raw = self.client.sending();
        let asked = Asked {
            raw,
            operation: &DOCUMENT_GET,
            id: Some(id),
            attempt: 1,
        };
        let id = session_id(&asked)?;
        let send = async move {
            let answer = raw.document_get(&id).await?;
            let (status, headers) = (answer.status(), answer.headers().clone());
            // Read to the end (the hooks cap it).
            let mut stream = answer.into_inner_stream();
            let mut pdf = bytes::BytesMut::new();
            while let Some(chunk) = stream.next().await {
                pdf.extend_from_slice(&chunk.map_err(crate::raw::Error::ResponseBodyError)?);
            }
            Ok(ResponseValue::new(pdf.freeze(), status, headers))
        };
        call(asked, send)
            .await?
            .into_value(|pdf| pdf, |_, body| Ok(bytes::Bytes::copy_from_slice(body)))
    }

    /// Deletes an uploaded document (one DELETE).
    ///
    /// ```no_run
    /// # async fn run(client: identisure::Client) -> identisure::Result<()> {
    /// client.documents().delete("doc-1").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, id: &str) -> Result<()> {
        crate::validate::id(id)?;
        let raw = self.client.sending();
        let asked = Asked {
            raw,
            operation: &DOCUMENT_DELETE,
            id: Some(id),
            attempt: 1,
        };
        let id = session_id(&asked)?;
        call(asked, async move { raw.document_delete(&id).await })
            .await
            .map(|_| ())
    }
}
