//! App-launch links: start the BankID or Freja app on the user's own device.
//!
//! When the user is on the same device as the app, show a button with one of
//! these links instead of (or next to) the QR code.
//!
//! ```
//! use identisure::launch::{bankid_desktop_link, bankid_mobile_link};
//!
//! let token = "7c40b5c9-fa74-49cf-b98c-bfe651f9a7c6";
//! assert_eq!(
//!     bankid_mobile_link(token, Some("https://example.com/done?x=1")),
//!     "https://app.bankid.com/?autostarttoken=7c40b5c9-fa74-49cf-b98c-bfe651f9a7c6\
//!      &redirect=https%3A%2F%2Fexample.com%2Fdone%3Fx%3D1"
//! );
//! assert_eq!(
//!     bankid_desktop_link(token),
//!     "bankid:///?autostarttoken=7c40b5c9-fa74-49cf-b98c-bfe651f9a7c6&redirect=null"
//! );
//! ```

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::raw::types::{BankIdSePending, FrejaPending};

/// Everything but RFC 3986 "unreserved" characters is percent-encoded, so a
/// value can never break out of its query parameter.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn encode(value: &str) -> impl fmt::Display + '_ {
    utf8_percent_encode(value, QUERY_VALUE)
}

/// The BankID universal link for a phone or tablet:
/// `https://app.bankid.com/?autostarttoken={T}&redirect={R}`.
///
/// `redirect` is where the app sends the user back afterwards (your page or
/// your app's URL); it is percent-encoded. With `None` the link says
/// `redirect=null`, as BankID asks when no return is wanted.
///
/// ```
/// let link = identisure::launch::bankid_mobile_link("tok", None);
/// assert_eq!(link, "https://app.bankid.com/?autostarttoken=tok&redirect=null");
/// ```
pub fn bankid_mobile_link(auto_start_token: &str, redirect: Option<&str>) -> String {
    let redirect = match redirect {
        Some(url) => encode(url).to_string(),
        None => "null".to_string(),
    };
    format!(
        "https://app.bankid.com/?autostarttoken={}&redirect={redirect}",
        encode(auto_start_token)
    )
}

/// The BankID link for a desktop computer:
/// `bankid:///?autostarttoken={T}&redirect=null`.
///
/// ```
/// let link = identisure::launch::bankid_desktop_link("tok");
/// assert_eq!(link, "bankid:///?autostarttoken=tok&redirect=null");
/// ```
pub fn bankid_desktop_link(auto_start_token: &str) -> String {
    format!(
        "bankid:///?autostarttoken={}&redirect=null",
        encode(auto_start_token)
    )
}

/// Which kind of device the user is on, for choosing a BankID link.
///
/// ```
/// use identisure::launch::{Device, bankid_link};
///
/// assert!(bankid_link("t", Device::Desktop, None).starts_with("bankid:///"));
/// assert!(bankid_link("t", Device::Mobile, None).starts_with("https://app.bankid.com/"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Device {
    /// A desktop or laptop computer (BankID security app, `bankid:///`).
    Desktop,
    /// A phone or tablet (universal link).
    Mobile,
}

/// The BankID autostart link for `device`; `redirect` is used on mobile only
/// (desktop links always say `redirect=null`).
///
/// ```
/// use identisure::launch::{Device, bankid_link};
///
/// assert_eq!(
///     bankid_link("t", Device::Mobile, Some("myapp://back")),
///     "https://app.bankid.com/?autostarttoken=t&redirect=myapp%3A%2F%2Fback"
/// );
/// ```
pub fn bankid_link(auto_start_token: &str, device: Device, redirect: Option<&str>) -> String {
    match device {
        Device::Desktop => bankid_desktop_link(auto_start_token),
        Device::Mobile => bankid_mobile_link(auto_start_token, redirect),
    }
}

/// A pending session has no `autoStartToken` to build a link from.
///
/// ```
/// use identisure::launch::{MissingAutoStartToken, bankid_link_for};
/// use identisure::launch::Device;
/// use identisure::raw::types::BankIdSePending;
///
/// let pending: BankIdSePending =
///     serde_json::from_str(r#"{"id":"s","status":"PENDING"}"#).unwrap();
/// assert_eq!(bankid_link_for(&pending, Device::Desktop, None), Err(MissingAutoStartToken));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingAutoStartToken;

impl fmt::Display for MissingAutoStartToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the pending session has no autoStartToken")
    }
}

impl std::error::Error for MissingAutoStartToken {}

fn token(value: Option<&str>) -> Result<&str, MissingAutoStartToken> {
    value.filter(|t| !t.is_empty()).ok_or(MissingAutoStartToken)
}

/// [`bankid_link`] for a pending BankID session.
///
/// ```
/// use identisure::launch::{Device, bankid_link_for};
/// use identisure::raw::types::BankIdSePending;
///
/// let pending: BankIdSePending =
///     serde_json::from_str(r#"{"id":"s","status":"PENDING","autoStartToken":"t"}"#).unwrap();
/// assert_eq!(
///     bankid_link_for(&pending, Device::Desktop, None).unwrap(),
///     "bankid:///?autostarttoken=t&redirect=null"
/// );
/// ```
pub fn bankid_link_for(
    pending: &BankIdSePending,
    device: Device,
    redirect: Option<&str>,
) -> Result<String, MissingAutoStartToken> {
    Ok(bankid_link(
        token(pending.auto_start_token.as_deref())?,
        device,
        redirect,
    ))
}

/// The Freja eID environment the session runs in, which decides the app's
/// URL scheme.
///
/// Freja eID has two separate apps: the production app registers the
/// `frejaeid://` scheme, the test app (Freja's customer test environment)
/// registers `frejaeid+test://`. A link with the wrong scheme opens the wrong
/// app, which does not know the transaction. Use [`FrejaEnvironment::Test`]
/// with the Identisure staging API (it talks to Freja's test environment) and
/// [`FrejaEnvironment::Production`] with the production API.
///
/// ```
/// use identisure::launch::FrejaEnvironment;
///
/// assert_eq!(FrejaEnvironment::Production.scheme(), "frejaeid");
/// assert_eq!(FrejaEnvironment::Test.scheme(), "frejaeid+test");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FrejaEnvironment {
    /// The production Freja eID app (`frejaeid://`).
    #[default]
    Production,
    /// The Freja eID test app (`frejaeid+test://`).
    Test,
}

impl FrejaEnvironment {
    /// The URL scheme of the Freja app for this environment.
    ///
    /// ```
    /// assert_eq!(identisure::launch::FrejaEnvironment::Test.scheme(), "frejaeid+test");
    /// ```
    pub fn scheme(self) -> &'static str {
        match self {
            Self::Production => "frejaeid",
            Self::Test => "frejaeid+test",
        }
    }
}

/// The link that opens the Freja eID app on the same device and binds it to
/// the transaction: `{scheme}://bindUserToTransaction?transactionReference={T}`
/// with `T` = the session's `autoStartToken`, percent-encoded.
///
/// ```
/// use identisure::launch::{FrejaEnvironment, freja_app_link};
///
/// assert_eq!(
///     freja_app_link("abc+/=", FrejaEnvironment::Production),
///     "frejaeid://bindUserToTransaction?transactionReference=abc%2B%2F%3D"
/// );
/// assert_eq!(
///     freja_app_link("abc", FrejaEnvironment::Test),
///     "frejaeid+test://bindUserToTransaction?transactionReference=abc"
/// );
/// ```
pub fn freja_app_link(auto_start_token: &str, environment: FrejaEnvironment) -> String {
    format!(
        "{}://bindUserToTransaction?transactionReference={}",
        environment.scheme(),
        encode(auto_start_token)
    )
}

/// [`freja_app_link`] for a pending Freja session.
///
/// ```
/// use identisure::launch::{FrejaEnvironment, freja_app_link_for};
/// use identisure::raw::types::FrejaPending;
///
/// let pending: FrejaPending =
///     serde_json::from_str(r#"{"id":"s","status":"PENDING","autoStartToken":"t"}"#).unwrap();
/// assert_eq!(
///     freja_app_link_for(&pending, FrejaEnvironment::Test).unwrap(),
///     "frejaeid+test://bindUserToTransaction?transactionReference=t"
/// );
/// ```
pub fn freja_app_link_for(
    pending: &FrejaPending,
    environment: FrejaEnvironment,
) -> Result<String, MissingAutoStartToken> {
    Ok(freja_app_link(
        token(pending.auto_start_token.as_deref())?,
        environment,
    ))
}

/// The QR image of a pending Freja session's `qrData`, rendered like the
/// BankID frames (feature `qr`). `qrData` is static: render it once.
///
/// ```
/// use identisure::launch::freja_qr_image;
/// use identisure::raw::types::FrejaPending;
///
/// let pending: FrejaPending = serde_json::from_str(
///     r#"{"id":"s","status":"PENDING","qrData":"frejaeid://bindUserToTransaction?transactionReference=x"}"#,
/// ).unwrap();
/// let image = freja_qr_image(&pending).unwrap().unwrap();
/// assert!(image.to_svg().contains("<svg"));
/// ```
#[cfg(feature = "qr")]
#[cfg_attr(docsrs, doc(cfg(feature = "qr")))]
pub fn freja_qr_image(
    pending: &FrejaPending,
) -> Option<Result<crate::qr::render::QrImage, crate::qr::render::RenderError>> {
    pending
        .qr_data
        .as_deref()
        .filter(|d| !d.is_empty())
        .map(crate::qr::render::QrImage::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mobile_link_without_redirect_says_null() {
        assert_eq!(
            bankid_mobile_link("67df3917-fa0d-44e5-b327-edcc928297f8", None),
            "https://app.bankid.com/?autostarttoken=67df3917-fa0d-44e5-b327-edcc928297f8&redirect=null"
        );
    }

    #[test]
    fn redirect_cannot_inject_parameters() {
        let link = bankid_mobile_link("t", Some("https://x.se/a b?c=1&redirect=evil#frag"));
        assert_eq!(
            link,
            "https://app.bankid.com/?autostarttoken=t&redirect=https%3A%2F%2Fx.se%2Fa%20b%3Fc%3D1%26redirect%3Devil%23frag"
        );
        assert_eq!(link.matches('&').count(), 1);
        assert!(!link.contains('#'));
    }

    #[test]
    fn non_ascii_redirect_is_utf8_encoded() {
        let link = bankid_mobile_link("t", Some("https://å.se"));
        assert!(link.ends_with("redirect=https%3A%2F%2F%C3%A5.se"), "{link}");
    }

    #[test]
    fn links_from_pending_sessions() {
        let bankid: BankIdSePending = serde_json::from_str(
            r#"{"id":"s","status":"PENDING","autoStartToken":"abc","qrStartToken":"q"}"#,
        )
        .unwrap();
        assert_eq!(
            bankid_link_for(&bankid, Device::Mobile, Some("https://x.se")).unwrap(),
            "https://app.bankid.com/?autostarttoken=abc&redirect=https%3A%2F%2Fx.se"
        );
        let empty: FrejaPending =
            serde_json::from_str(r#"{"id":"s","status":"PENDING","autoStartToken":""}"#).unwrap();
        assert_eq!(
            freja_app_link_for(&empty, FrejaEnvironment::Production),
            Err(MissingAutoStartToken)
        );
    }

    #[cfg(feature = "qr")]
    #[test]
    fn freja_qr_absent_when_no_qr_data() {
        let pending: FrejaPending =
            serde_json::from_str(r#"{"id":"s","status":"PENDING"}"#).unwrap();
        assert!(freja_qr_image(&pending).is_none());
    }

    proptest! {
        /// Whatever the redirect, decoding the parameter gives it back and it
        /// never adds query parameters.
        #[test]
        fn redirect_round_trips(redirect in ".{0,80}") {
            let link = bankid_mobile_link("t", Some(&redirect));
            let (_, value) = link.split_once("&redirect=").unwrap();
            prop_assert!(!value.contains(['&', '#', '?', '=', '/', ' ']));
            let decoded = percent_encoding::percent_decode_str(value).decode_utf8().unwrap();
            prop_assert_eq!(decoded, redirect);
        }
    }
}
