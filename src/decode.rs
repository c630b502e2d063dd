//! How an HTTP answer maps into [`Error`]: a non-success status with its
//! headers and body ([`from_status`]), and a success body that does not
//! decode ([`decode_body`], naming the field that failed, never its value).

use std::time::Duration;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::{Error, printable_url};
use crate::sensitive::{excerpt, sanitize};

/// The request a non-success answer answered, for the errors that name it
/// (a 404 says which URL, session or document was not found).
pub(crate) struct Asked<'a> {
    pub method: &'a str,
    pub url: &'a reqwest::Url,
    /// What the path's `{id}` names, if the path has one.
    pub target: Target<'a>,
}

/// What the `{id}` of a request's path names.
#[derive(Clone, Copy)]
pub(crate) enum Target<'a> {
    /// No id: a start, an upload, a verify.
    None,
    /// A session's collect or cancel.
    Session(&'a str),
    /// A document's download or delete.
    Document(&'a str),
}

/// Maps a non-success answer (status, headers, body bytes). `asked` is the
/// request when known (not for an error of the generated client, which
/// does not say which request it was).
pub(crate) fn from_status(
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    asked: Option<&Asked<'_>>,
) -> Error {
    // The API's error body is `{"message": "…"}`; anything else (an HTML
    // page, an empty body) comes from something in front of it, or from a
    // server that is not the API.
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(sanitize));
    from_message(status, headers, message, asked)
}

/// Maps a non-success answer by its status, headers and the API's
/// `message` (already redacted; `None` when the body was not the API's).
pub(crate) fn from_message(
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    message: Option<String>,
    asked: Option<&Asked<'_>>,
) -> Error {
    match status.as_u16() {
        401 => Error::Unauthorized,
        404 => not_found(asked, message),
        429 => Error::RateLimited {
            retry_after: retry_after(headers),
        },
        400 if message.as_deref().is_some_and(is_in_progress_message) => Error::AlreadyInProgress,
        status => Error::Api { status, message },
    }
}

/// A 404: a session or document that does not exist only when the request
/// names one and the API itself said so; otherwise the URL does not exist
/// (a start has no id to be missing, and a page that is not the API's
/// answer means the base URL points elsewhere).
fn not_found(asked: Option<&Asked<'_>>, message: Option<String>) -> Error {
    let Some(asked) = asked else {
        return Error::SessionNotFound { id: None };
    };
    match (asked.target, &message) {
        (Target::Session(id), Some(_)) => Error::SessionNotFound {
            id: Some(id.to_string()),
        },
        (Target::Document(id), Some(_)) => Error::DocumentNotFound { id: id.to_string() },
        _ => Error::EndpointNotFound {
            method: asked.method.to_string(),
            url: printable_url(asked.url),
            message,
        },
    }
}

fn is_in_progress_message(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("in progress") || m.contains("already")
}

/// `Retry-After` in seconds (the HTTP-date form is not used by this API and
/// reads as absent).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let secs: f64 = v.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

/// Decodes a success body into `T`, naming the field that failed.
pub(crate) fn decode_body<T: DeserializeOwned>(
    status: StatusCode,
    body: &[u8],
) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| decode_error(status, body, e))
}

/// Maps a success answer whose body could not be decoded into `T`.
pub(crate) fn decode_error(
    status: StatusCode,
    body: &[u8],
    err: serde_path_to_error::Error<serde_json::Error>,
) -> Error {
    let path = err.path().to_string();
    let inner = err.inner();
    let detail = match inner.classify() {
        serde_json::error::Category::Eof if body.is_empty() => "empty body".to_string(),
        serde_json::error::Category::Eof => "truncated JSON".to_string(),
        serde_json::error::Category::Syntax => "not JSON".to_string(),
        serde_json::error::Category::Io => "read failure".to_string(),
        serde_json::error::Category::Data => data_detail(&inner.to_string()),
    };
    let field = match (path.as_str(), missing_field(&inner.to_string())) {
        (".", Some(f)) => Some(f),
        (".", None) => None,
        (p, Some(f)) => Some(format!("{p}.{f}")),
        (p, None) => Some(p.to_string()),
    };
    Error::Decode {
        status: status.as_u16(),
        field,
        detail,
        excerpt: excerpt(body),
    }
}

/// The kind of a serde data error, without the offending value.
fn data_detail(message: &str) -> String {
    for known in [
        "missing field",
        "invalid type",
        "invalid value",
        "invalid length",
        "unknown variant",
        "unknown field",
        "duplicate field",
    ] {
        if message.starts_with(known) {
            return known.to_string();
        }
    }
    "invalid data".to_string()
}

/// serde reports a missing field as "missing field `name`" at the parent path.
pub(crate) fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    fn headers(retry_after: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(v) = retry_after {
            h.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn statuses_map_to_their_variants() {
        let none = headers(None);
        assert!(matches!(
            from_status(StatusCode::UNAUTHORIZED, &none, b"", None),
            Error::Unauthorized
        ));
        // Without the request (the generated client's errors), a 404 is
        // the session's, as the API documents it.
        assert!(matches!(
            from_status(StatusCode::NOT_FOUND, &none, b"<html>", None),
            Error::SessionNotFound { id: None }
        ));
        assert!(matches!(
            from_status(
                StatusCode::BAD_REQUEST,
                &none,
                br#"{"message":"A session is already in progress"}"#,
                None
            ),
            Error::AlreadyInProgress
        ));
        match from_status(
            StatusCode::BAD_REQUEST,
            &none,
            br#"{"message":"ssn 199001011234 bad"}"#,
            None,
        ) {
            Error::Api {
                status: 400,
                message: Some(m),
            } => {
                assert!(!m.contains("199001011234"), "{m}");
            }
            other => panic!("{other:?}"),
        }
        // A bodiless or HTML error keeps its status, without a message.
        assert!(matches!(
            from_status(
                StatusCode::BAD_GATEWAY,
                &none,
                b"<html>Bad Gateway</html>",
                None
            ),
            Error::Api {
                status: 502,
                message: None
            }
        ));
    }

    #[test]
    fn a_404_names_the_session_the_document_or_the_url() {
        let none = headers(None);
        let url = reqwest::Url::parse("http://127.0.0.1:9/v3/freja/auth/s-1").unwrap();
        let api = br#"{"message":"not found 199001011234"}"#;
        let asked = |target| Asked {
            method: "GET",
            url: &url,
            target,
        };
        let e = from_status(
            StatusCode::NOT_FOUND,
            &none,
            api,
            Some(&asked(Target::Session("s-1"))),
        );
        assert!(
            matches!(e, Error::SessionNotFound { id: Some(ref id) } if id == "s-1"),
            "{e:?}"
        );
        let e = from_status(
            StatusCode::NOT_FOUND,
            &none,
            api,
            Some(&asked(Target::Document("d-1"))),
        );
        assert!(
            matches!(e, Error::DocumentNotFound { ref id } if id == "d-1"),
            "{e:?}"
        );
        // A start: its URL does not exist, whatever the body; the server's
        // message is kept, redacted.
        let e = from_status(
            StatusCode::NOT_FOUND,
            &none,
            api,
            Some(&asked(Target::None)),
        );
        match e {
            Error::EndpointNotFound {
                ref method,
                ref url,
                message: Some(ref m),
            } => {
                assert_eq!(
                    (method.as_str(), url.as_str()),
                    ("GET", "http://127.0.0.1:9/v3/freja/auth/s-1")
                );
                assert!(!m.contains("199001011234"), "{m}");
            }
            other => panic!("{other:?}"),
        }
        // Not the API's body: the URL, not the session, is what is missing.
        for body in [&b""[..], b"<html>Not Found</html>", b"{}"] {
            let e = from_status(
                StatusCode::NOT_FOUND,
                &none,
                body,
                Some(&asked(Target::Session("s-1"))),
            );
            assert!(
                matches!(e, Error::EndpointNotFound { message: None, .. }),
                "{e:?}"
            );
        }
    }

    #[test]
    fn a_bodiless_429_keeps_its_retry_after() {
        let e = from_status(
            StatusCode::TOO_MANY_REQUESTS,
            &headers(Some("2")),
            b"",
            None,
        );
        assert!(
            matches!(e, Error::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(2))
        );
        let e = from_status(StatusCode::TOO_MANY_REQUESTS, &headers(None), b"", None);
        assert!(matches!(e, Error::RateLimited { retry_after: None }));
        assert_eq!(
            retry_after(&headers(Some("0.5"))),
            Some(Duration::from_millis(500))
        );
        assert_eq!(retry_after(&headers(Some("-1"))), None);
        assert_eq!(
            retry_after(&headers(Some("Wed, 21 Oct 2015 07:28:00 GMT"))),
            None
        );
        assert_eq!(
            retry_after(&headers(Some("99999"))),
            Some(Duration::from_secs(3600))
        );
    }

    #[test]
    fn a_body_that_does_not_decode_names_the_field_not_the_value() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Person {
            id: String,
            age: u32,
        }
        let e = decode_body::<Person>(StatusCode::OK, br#"{"id":"199001011234","age":"x"}"#)
            .unwrap_err();
        match e {
            Error::Decode {
                status: 200,
                field,
                detail,
                excerpt,
            } => {
                assert_eq!(field.as_deref(), Some("age"));
                assert_eq!(detail, "invalid type");
                assert!(!excerpt.unwrap_or_default().contains("199001011234"));
            }
            other => panic!("{other:?}"),
        }
        let e = decode_body::<Person>(StatusCode::OK, br#"{"age":1}"#).unwrap_err();
        assert!(matches!(e, Error::Decode { field: Some(ref f), .. } if f == "id"));
        let e = decode_body::<Person>(StatusCode::OK, b"").unwrap_err();
        assert!(matches!(e, Error::Decode { ref detail, .. } if detail == "empty body"));
        let e = decode_body::<Person>(StatusCode::OK, b"<html>").unwrap_err();
        assert!(matches!(e, Error::Decode { ref detail, .. } if detail == "not JSON"));
    }
}
