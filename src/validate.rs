//! Request validation before anything is sent.
//!
//! The spec's constraints (lengths, required fields, minimums) live
//! in the generated types: a request is decoded into one
//! (`requests.rs`), which runs them, and their message is turned into a rule
//! here. Patterns are checked by `requests.rs` (`Pattern`), not by the
//! generated types. Only what the spec cannot express is checked by hand:
//! URLs must be absolute http(s) URLs and `ipAddress` must be an IP address.

use serde::Serialize;

use crate::error::{Error, Result};

/// Serializes an already typed request and applies the hand checks.
pub(crate) fn checked<T: Serialize>(typed: &T) -> Result<serde_json::Value> {
    let value = serde_json::to_value(typed)
        .map_err(|_| Error::invalid("body", "must serialize to JSON"))?;
    hand_checks(&value)?;
    Ok(value)
}

pub(crate) fn hand_checks(value: &serde_json::Value) -> Result<()> {
    let Some(map) = value.as_object() else {
        return Ok(());
    };
    for field in ["callbackUrl", "redirectUrl"] {
        if let Some(v) = map.get(field).and_then(|v| v.as_str()) {
            let ok = reqwest::Url::parse(v)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
            if !ok {
                return Err(Error::invalid(field, "must be an absolute http(s) URL"));
            }
        }
    }
    if let Some(v) = map.get("appCallbackUri").and_then(|v| v.as_str())
        && reqwest::Url::parse(v).is_err()
    {
        return Err(Error::invalid("appCallbackUri", "must be an absolute URI"));
    }
    if let Some(v) = map.get("ipAddress").and_then(|v| v.as_str())
        && v.parse::<std::net::IpAddr>().is_err()
    {
        return Err(Error::invalid(
            "ipAddress",
            "must be an IPv4 or IPv6 address",
        ));
    }
    Ok(())
}

/// A session or document id given by the caller: non-empty, at most 200
/// characters, no control characters, and not `.` or `..` (which a URL
/// would read as a path step, reaching another resource than the id's).
pub(crate) fn id(id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::invalid("id", "must not be empty"));
    }
    if id == "." || id == ".." {
        return Err(Error::invalid("id", "must not be `.` or `..`"));
    }
    if id.chars().count() > 200 || id.chars().any(char::is_control) {
        return Err(Error::invalid(
            "id",
            "must be at most 200 printable characters",
        ));
    }
    Ok(())
}

/// The rule a message of a generated check states (`longer than 2000
/// characters` → `must be at most 2000 characters`); `None` for any other
/// message, which may quote the value and is never shown.
pub(crate) fn known_rule(cause: &str) -> Option<String> {
    let number = |s: &str| {
        s.split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
    };
    if let Some(rest) = cause.strip_prefix("longer than ")
        && let Some(n) = number(rest)
    {
        return Some(format!("must be at most {n} characters"));
    }
    if let Some(rest) = cause.strip_prefix("shorter than ")
        && let Some(n) = number(rest)
    {
        return Some(if n <= 1 {
            "must not be empty".to_string()
        } else {
            format!("must be at least {n} characters")
        });
    }
    if cause.contains("out of range integral type conversion") || cause.contains("nonzero") {
        return Some("must be at least 1".to_string());
    }
    if cause.contains("must not be empty") {
        return Some("must not be empty".to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_rules_are_restated_and_others_never_shown() {
        assert_eq!(
            known_rule("longer than 2000 characters").as_deref(),
            Some("must be at most 2000 characters")
        );
        // A message that is no known rule is never shown (it may quote the value).
        assert_eq!(known_rule("invalid value \"1987\""), None);
    }
}
