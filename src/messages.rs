//! What to tell the user: BankID's recommended texts ("RFA" messages) for
//! hint codes and failures, in Swedish and English.
//!
//! BankID asks relying parties to show its own wording. [`Rfa`] holds the
//! texts; [`UserMessage`] picks the right one for a [`HintCode`], a
//! [`FailureCode`] or a pending session without a hint.
//!
//! ```
//! use identisure::HintCode;
//! use identisure::messages::{Lang, LaunchMethod, MessageContext, UserMessage};
//!
//! assert_eq!(HintCode::OutstandingTransaction.message(Lang::En), "Start your BankID app.");
//! assert_eq!(HintCode::OutstandingTransaction.message(Lang::Sv), "Starta BankID-appen.");
//! // The app was opened through an autostart link: RFA13.
//! let ctx = MessageContext { launch: LaunchMethod::AutoStart, ..Default::default() };
//! assert_eq!(
//!     HintCode::OutstandingTransaction.message_in(Lang::En, ctx),
//!     "Trying to start your BankID app."
//! );
//! // Unknown codes get the generic RFA22.
//! assert_eq!(HintCode::parse("brandNew").message(Lang::En), "Unknown error. Please try again.");
//! ```

use crate::{FailureCode, HintCode};

pub use crate::launch::Device;

/// The language of a message.
///
/// ```
/// use identisure::messages::Lang;
///
/// assert_eq!("sv".parse::<Lang>(), Ok(Lang::Sv));
/// assert_eq!("EN".parse::<Lang>(), Ok(Lang::En));
/// assert!("de".parse::<Lang>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// Swedish (BankID's primary language).
    #[default]
    Sv,
    /// English.
    En,
}

impl Lang {
    /// The one of `sv` and `en` in this language: how every pair of texts
    /// in Swedish and English is read.
    ///
    /// ```
    /// use identisure::messages::Lang;
    ///
    /// assert_eq!(Lang::En.pick("Avbryt", "Cancel"), "Cancel");
    /// ```
    pub fn pick<T>(self, sv: T, en: T) -> T {
        match self {
            Lang::Sv => sv,
            Lang::En => en,
        }
    }

    /// The language's tag, as [`str::parse`] reads it: `sv` or `en`.
    ///
    /// ```
    /// use identisure::messages::Lang;
    ///
    /// assert_eq!(Lang::Sv.code(), "sv");
    /// assert_eq!(Lang::En.code().parse::<Lang>(), Ok(Lang::En));
    /// ```
    pub fn code(self) -> &'static str {
        self.pick("sv", "en")
    }
}

/// A language tag that is neither `sv` nor `en`.
///
/// ```
/// let err = "fi".parse::<identisure::messages::Lang>().unwrap_err();
/// assert_eq!(err.to_string(), "unsupported language (use sv or en)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnsupportedLang;

impl std::fmt::Display for UnsupportedLang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("unsupported language (use sv or en)")
    }
}

impl std::error::Error for UnsupportedLang {}

impl std::str::FromStr for Lang {
    type Err = UnsupportedLang;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "sv" | "sv-se" | "swedish" => Ok(Self::Sv),
            "en" | "en-gb" | "en-us" | "english" => Ok(Self::En),
            _ => Err(UnsupportedLang),
        }
    }
}

/// How the user was sent to the BankID app; some messages depend on it.
///
/// ```
/// use identisure::messages::LaunchMethod;
/// assert_eq!(LaunchMethod::default(), LaunchMethod::Unspecified);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LaunchMethod {
    /// Not known or not applicable (e.g. personal number on another device).
    #[default]
    Unspecified,
    /// The user scans an animated QR code.
    QrCode,
    /// The app was opened on the same device through an autostart link.
    AutoStart,
}

/// What the message choice depends on besides the code.
///
/// ```
/// use identisure::messages::{Device, LaunchMethod, MessageContext};
///
/// let ctx = MessageContext { launch: LaunchMethod::QrCode, device: Device::Mobile };
/// assert_eq!(MessageContext::default().device, Device::Desktop);
/// # let _ = ctx;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageContext {
    /// How the app was launched.
    pub launch: LaunchMethod,
    /// The device the user is looking at (the one showing your page).
    pub device: Device,
}

impl Default for MessageContext {
    fn default() -> Self {
        Self {
            launch: LaunchMethod::Unspecified,
            device: Device::Desktop,
        }
    }
}

/// BankID's recommended user messages. Variants ending in `A`/`B` are
/// BankID's desktop/mobile forms. [`Rfa::CallConfirm`] and
/// [`Rfa::CallDeclined`] cover the phone flows, which have no RFA number.
///
/// ```
/// use identisure::messages::{Lang, Rfa};
///
/// assert_eq!(Rfa::Rfa6.text(Lang::En), "Action cancelled.");
/// assert_eq!(Rfa::Rfa6.text(Lang::Sv), "Åtgärden avbruten.");
/// assert_eq!(Rfa::Rfa14B.code(), Some("RFA14B"));
/// assert_eq!(Rfa::CallConfirm.code(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rfa {
    /// "Start your BankID app."
    Rfa1,
    /// RFA1 for a page showing the QR code: "Start your BankID app and scan
    /// the QR code."
    Rfa1Qr,
    /// "Action cancelled. Please try again."
    Rfa3,
    /// An identification or signing for this personal number is already started.
    Rfa4,
    /// "Internal error. Please try again."
    Rfa5,
    /// "Action cancelled."
    Rfa6,
    /// The BankID app is not responding.
    Rfa8,
    /// "Enter your security code in the BankID app and select Identify or Sign."
    Rfa9,
    /// "Trying to start your BankID app."
    Rfa13,
    /// Searching for BankID (desktop); mentions a BankID on another device.
    Rfa14A,
    /// Searching for BankID (mobile); mentions a BankID on another device.
    Rfa14B,
    /// Searching for BankID (desktop, app started on this device by autostart).
    Rfa15A,
    /// Searching for BankID (mobile, app started on this device by autostart).
    Rfa15B,
    /// The BankID is blocked or too old.
    Rfa16,
    /// The BankID app could not be found.
    Rfa17A,
    /// The QR code could not be scanned.
    Rfa17B,
    /// "Identification or signing in progress."
    Rfa21,
    /// "Unknown error. Please try again."
    Rfa22,
    /// Process your machine-readable travel document.
    Rfa23,
    /// Confirm the call in the BankID app (phone flows, no RFA number).
    CallConfirm,
    /// The user declined the call (phone flows, no RFA number).
    CallDeclined,
}

impl Rfa {
    /// BankID's identifier for the message (`"RFA9"`, `"RFA14A"`), or `None`
    /// for the phone-flow messages that have none.
    ///
    /// ```
    /// assert_eq!(identisure::messages::Rfa::Rfa9.code(), Some("RFA9"));
    /// ```
    pub fn code(self) -> Option<&'static str> {
        Some(match self {
            Self::Rfa1 | Self::Rfa1Qr => "RFA1",
            Self::Rfa3 => "RFA3",
            Self::Rfa4 => "RFA4",
            Self::Rfa5 => "RFA5",
            Self::Rfa6 => "RFA6",
            Self::Rfa8 => "RFA8",
            Self::Rfa9 => "RFA9",
            Self::Rfa13 => "RFA13",
            Self::Rfa14A => "RFA14A",
            Self::Rfa14B => "RFA14B",
            Self::Rfa15A => "RFA15A",
            Self::Rfa15B => "RFA15B",
            Self::Rfa16 => "RFA16",
            Self::Rfa17A => "RFA17A",
            Self::Rfa17B => "RFA17B",
            Self::Rfa21 => "RFA21",
            Self::Rfa22 => "RFA22",
            Self::Rfa23 => "RFA23",
            Self::CallConfirm | Self::CallDeclined => return None,
        })
    }

    /// The text to show, in `lang`.
    ///
    /// ```
    /// use identisure::messages::{Lang, Rfa};
    ///
    /// assert_eq!(Rfa::Rfa22.text(Lang::Sv), "Okänt fel. Försök igen.");
    /// ```
    pub fn text(self, lang: Lang) -> &'static str {
        let (sv, en) = self.texts();
        lang.pick(sv, en)
    }

    fn texts(self) -> (&'static str, &'static str) {
        match self {
            Self::Rfa1 => ("Starta BankID-appen.", "Start your BankID app."),
            Self::Rfa1Qr => (
                "Starta BankID-appen och läs av QR-koden.",
                "Start your BankID app and scan the QR code.",
            ),
            Self::Rfa3 => (
                "Åtgärden avbruten. Försök igen.",
                "Action cancelled. Please try again.",
            ),
            Self::Rfa4 => (
                "En identifiering eller underskrift för det här personnumret är redan påbörjad. Försök igen.",
                "An identification or signing for this personal number is already started. Please try again.",
            ),
            Self::Rfa5 => (
                "Internt tekniskt fel. Försök igen.",
                "Internal error. Please try again.",
            ),
            Self::Rfa6 => ("Åtgärden avbruten.", "Action cancelled."),
            Self::Rfa8 => (
                "BankID-appen svarar inte. Kontrollera att den är startad och att du har internetanslutning. Om du inte har något giltigt BankID kan du skaffa ett hos din bank. Försök sedan igen.",
                "The BankID app is not responding. Please check that it’s started and that you have internet access. If you don’t have a valid BankID you can get one from your bank. Try again.",
            ),
            Self::Rfa9 => (
                "Skriv in din säkerhetskod i BankID-appen och välj Identifiera eller Skriv under.",
                "Enter your security code in the BankID app and select Identify or Sign.",
            ),
            Self::Rfa13 => (
                "Försöker starta BankID-appen.",
                "Trying to start your BankID app.",
            ),
            Self::Rfa14A => (
                "Söker efter BankID, det kan ta en liten stund… Om det har gått några sekunder och inget BankID har hittats har du sannolikt inget BankID som går att använda för den aktuella identifieringen/underskriften i den här datorn. Om du har ett BankID-kort, sätt in det i kortläsaren. Om du inte har något BankID kan du skaffa ett hos din bank. Om du har ett BankID på en annan enhet kan du starta din BankID-app där.",
                "Searching for BankID, it may take a little while… If a few seconds have passed and still no BankID has been found, you probably don’t have a BankID which can be used for this identification/signing on this computer. If you have a BankID card, please insert it into your card reader. If you don’t have a BankID you can get one from your bank. If you have a BankID on another device you can start the BankID app on that device.",
            ),
            Self::Rfa14B => (
                "Söker efter BankID, det kan ta en liten stund… Om det har gått några sekunder och inget BankID har hittats har du sannolikt inget BankID som går att använda för den aktuella identifieringen/underskriften i den här enheten. Om du inte har något BankID kan du skaffa ett hos din bank. Om du har ett BankID på en annan enhet kan du starta din BankID-app där.",
                "Searching for BankID, it may take a little while… If a few seconds have passed and still no BankID has been found, you probably don’t have a BankID which can be used for this identification/signing on this device. If you don’t have a BankID you can get one from your bank. If you have a BankID on another device you can start the BankID app on that device.",
            ),
            Self::Rfa15A => (
                "Söker efter BankID, det kan ta en liten stund… Om det har gått några sekunder och inget BankID har hittats har du sannolikt inget BankID som går att använda för den aktuella identifieringen/underskriften i den här datorn. Om du har ett BankID-kort, sätt in det i kortläsaren. Om du inte har något BankID kan du skaffa ett hos din bank.",
                "Searching for BankID, it may take a little while… If a few seconds have passed and still no BankID has been found, you probably don’t have a BankID which can be used for this identification/signing on this computer. If you have a BankID card, please insert it into your card reader. If you don’t have a BankID you can get one from your bank.",
            ),
            Self::Rfa15B => (
                "Söker efter BankID, det kan ta en liten stund… Om det har gått några sekunder och inget BankID har hittats har du sannolikt inget BankID som går att använda för den aktuella identifieringen/underskriften i den här enheten. Om du inte har något BankID kan du skaffa ett hos din bank.",
                "Searching for BankID, it may take a little while… If a few seconds have passed and still no BankID has been found, you probably don’t have a BankID which can be used for this identification/signing on this device. If you don’t have a BankID you can get one from your bank.",
            ),
            Self::Rfa16 => (
                "Det BankID du försöker använda är för gammalt eller spärrat. Använd ett annat BankID eller skaffa ett nytt hos din bank.",
                "The BankID you are trying to use is blocked or too old. Please use another BankID or get a new one from your bank.",
            ),
            Self::Rfa17A => (
                "BankID-appen verkar inte finnas i din dator eller mobil. Installera den och skaffa ett BankID hos din bank. Installera appen från din appbutik eller https://install.bankid.com.",
                "The BankID app couldn’t be found on your computer or mobile device. Please install it and get a BankID from your bank. Install the app from your app store or https://install.bankid.com.",
            ),
            Self::Rfa17B => (
                "Misslyckades att läsa av QR-koden. Starta BankID-appen och läs av QR-koden. Kontrollera att BankID-appen är uppdaterad. Om du inte har BankID-appen måste du installera den och skaffa ett BankID hos din bank. Installera appen från din appbutik eller https://install.bankid.com.",
                "Failed to scan the QR code. Start the BankID app and scan the QR code. Check that the BankID app is up to date. If you don’t have the BankID app, you need to install it and get a BankID from your bank. Install the app from your app store or https://install.bankid.com.",
            ),
            Self::Rfa21 => (
                "Identifiering eller underskrift pågår.",
                "Identification or signing in progress.",
            ),
            Self::Rfa22 => (
                "Okänt fel. Försök igen.",
                "Unknown error. Please try again.",
            ),
            Self::Rfa23 => (
                "Fotografera och läs av din ID-handling med BankID-appen.",
                "Process your machine-readable travel document using the BankID app.",
            ),
            Self::CallConfirm => (
                "Bekräfta samtalet i BankID-appen.",
                "Confirm the call in your BankID app.",
            ),
            Self::CallDeclined => (
                "Samtalet avvisades. Försök igen.",
                "The call was declined. Please try again.",
            ),
        }
    }
}

/// Things that have a user-facing BankID message.
///
/// Implemented for [`HintCode`], [`FailureCode`] and `Option<HintCode>` (a
/// pending session's hint; `None` means RFA21 "in progress").
///
/// ```
/// use identisure::{FailureCode, HintCode};
/// use identisure::messages::{Lang, Rfa, UserMessage};
///
/// assert_eq!(HintCode::UserSign.rfa(Default::default()), Rfa::Rfa9);
/// assert_eq!(FailureCode::Conflict.rfa(Default::default()), Rfa::Rfa4);
/// assert_eq!(None::<HintCode>.message(Lang::En), "Identification or signing in progress.");
/// ```
pub trait UserMessage {
    /// The recommended message in `context`.
    fn rfa(&self, context: MessageContext) -> Rfa;

    /// The text for the default context (launch method unspecified, desktop).
    ///
    /// ```
    /// use identisure::HintCode;
    /// use identisure::messages::{Lang, UserMessage};
    ///
    /// assert_eq!(HintCode::UserCancel.message(Lang::Sv), "Åtgärden avbruten.");
    /// ```
    fn message(&self, lang: Lang) -> &'static str {
        self.rfa(MessageContext::default()).text(lang)
    }

    /// The text in `context`, e.g. RFA13 instead of RFA1 after an autostart.
    ///
    /// ```
    /// use identisure::HintCode;
    /// use identisure::messages::{Device, Lang, LaunchMethod, MessageContext, UserMessage};
    ///
    /// let ctx = MessageContext { launch: LaunchMethod::QrCode, device: Device::Desktop };
    /// assert!(HintCode::StartFailed.message_in(Lang::En, ctx).starts_with("Failed to scan the QR code."));
    /// ```
    fn message_in(&self, lang: Lang, context: MessageContext) -> &'static str {
        self.rfa(context).text(lang)
    }
}

/// The mapping, following BankID's guidelines:
///
/// | hint code | message |
/// |---|---|
/// | `outstandingTransaction`, `noClient` | RFA1, or RFA13 after an autostart |
/// | `started` | RFA15 after an autostart, RFA14 otherwise (A desktop, B mobile) |
/// | `userSign` | RFA9 |
/// | `userMrtd` | RFA23 |
/// | `userCallConfirm` | confirm the call |
/// | `expiredTransaction` | RFA8 |
/// | `certificateErr` | RFA16 |
/// | `userCancel` | RFA6 |
/// | `cancelled` | RFA3 |
/// | `startFailed` | RFA17B when a QR code was used, RFA17A otherwise |
/// | `userDeclinedCall` | the call was declined |
/// | anything else | RFA22 |
impl UserMessage for HintCode {
    fn rfa(&self, context: MessageContext) -> Rfa {
        let autostart = context.launch == LaunchMethod::AutoStart;
        let qr = context.launch == LaunchMethod::QrCode;
        let mobile = context.device == Device::Mobile;
        match self {
            Self::OutstandingTransaction | Self::NoClient if autostart => Rfa::Rfa13,
            Self::OutstandingTransaction | Self::NoClient if qr => Rfa::Rfa1Qr,
            Self::OutstandingTransaction | Self::NoClient => Rfa::Rfa1,
            // Searching for a BankID on this computer (RFA14/15) is wrong on
            // a QR page: the app on the phone that scanned it has the order.
            Self::Started if qr => Rfa::Rfa21,
            // RFA14 suggests a BankID on another device; after an autostart
            // the app already runs on this device, so RFA15 leaves that out.
            Self::Started => match (autostart, mobile) {
                (false, false) => Rfa::Rfa14A,
                (false, true) => Rfa::Rfa14B,
                (true, false) => Rfa::Rfa15A,
                (true, true) => Rfa::Rfa15B,
            },
            Self::UserSign => Rfa::Rfa9,
            Self::UserMrtd => Rfa::Rfa23,
            Self::UserCallConfirm => Rfa::CallConfirm,
            Self::ExpiredTransaction => Rfa::Rfa8,
            Self::CertificateErr => Rfa::Rfa16,
            Self::UserCancel => Rfa::Rfa6,
            Self::Cancelled => Rfa::Rfa3,
            Self::StartFailed if context.launch == LaunchMethod::QrCode => Rfa::Rfa17B,
            Self::StartFailed => Rfa::Rfa17A,
            Self::UserDeclinedCall => Rfa::CallDeclined,
            _ => Rfa::Rfa22,
        }
    }
}

/// A pending session: its hint when there is one, RFA21 otherwise.
impl UserMessage for Option<HintCode> {
    fn rfa(&self, context: MessageContext) -> Rfa {
        match self {
            Some(hint) => hint.rfa(context),
            None => Rfa::Rfa21,
        }
    }
}

/// The mapping for a failed session's `error`:
///
/// | error | message |
/// |---|---|
/// | `CANCELLED` | RFA3 |
/// | `CONFLICT` (another order for the user) | RFA4 |
/// | `INTERNAL_ERROR` | RFA5 |
/// | `SESSION_TIMEOUT` | RFA8 |
/// | anything else | RFA22 |
///
/// A BankID failure that also carries a `hintCode` is better described by
/// the hint: see [`failure_message`].
impl UserMessage for FailureCode {
    fn rfa(&self, _context: MessageContext) -> Rfa {
        match self {
            Self::Cancelled => Rfa::Rfa3,
            Self::Conflict => Rfa::Rfa4,
            Self::InternalError => Rfa::Rfa5,
            Self::SessionTimeout => Rfa::Rfa8,
            _ => Rfa::Rfa22,
        }
    }
}

/// The message for a failed session: the hint code's when the failure
/// carries a known one, else the failure code's; an `INTERNAL_ERROR` always
/// reads as an internal error (RFA5), whatever its hint (a `startFailed`
/// beside it would otherwise tell the user to install the app).
///
/// ```
/// use identisure::{FailureCode, HintCode};
/// use identisure::messages::{Lang, Rfa, failure_message};
///
/// let ctx = Default::default();
/// assert_eq!(failure_message(&FailureCode::Cancelled, Some(&HintCode::UserCancel), ctx), Rfa::Rfa6);
/// assert_eq!(failure_message(&FailureCode::Cancelled, None, ctx), Rfa::Rfa3);
/// assert_eq!(
///     failure_message(&FailureCode::InternalError, Some(&HintCode::parse("new")), ctx).text(Lang::En),
///     "Internal error. Please try again."
/// );
/// assert_eq!(failure_message(&FailureCode::InternalError, Some(&HintCode::StartFailed), ctx), Rfa::Rfa5);
/// ```
pub fn failure_message(
    error: &FailureCode,
    hint: Option<&HintCode>,
    context: MessageContext,
) -> Rfa {
    match hint {
        _ if *error == FailureCode::InternalError => error.rfa(context),
        Some(hint) if !matches!(hint, HintCode::Unknown(_)) => hint.rfa(context),
        _ => error.rfa(context),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Rfa; 21] = [
        Rfa::Rfa1,
        Rfa::Rfa1Qr,
        Rfa::Rfa3,
        Rfa::Rfa4,
        Rfa::Rfa5,
        Rfa::Rfa6,
        Rfa::Rfa8,
        Rfa::Rfa9,
        Rfa::Rfa13,
        Rfa::Rfa14A,
        Rfa::Rfa14B,
        Rfa::Rfa15A,
        Rfa::Rfa15B,
        Rfa::Rfa16,
        Rfa::Rfa17A,
        Rfa::Rfa17B,
        Rfa::Rfa21,
        Rfa::Rfa22,
        Rfa::Rfa23,
        Rfa::CallConfirm,
        Rfa::CallDeclined,
    ];

    fn ctx(launch: LaunchMethod, device: Device) -> MessageContext {
        MessageContext { launch, device }
    }

    #[test]
    fn facts_table_in_english() {
        let d = MessageContext::default();
        let en = |h: HintCode| h.message_in(Lang::En, d);
        assert_eq!(en(HintCode::NoClient), "Start your BankID app.");
        assert!(
            en(HintCode::Started).starts_with("Searching for BankID, it may take a little while…")
        );
        assert_eq!(
            en(HintCode::UserSign),
            "Enter your security code in the BankID app and select Identify or Sign."
        );
        assert_eq!(
            en(HintCode::UserMrtd),
            "Process your machine-readable travel document using the BankID app."
        );
        assert!(en(HintCode::ExpiredTransaction).starts_with("The BankID app is not responding"));
        assert!(
            en(HintCode::CertificateErr)
                .starts_with("The BankID you are trying to use is blocked or too old")
        );
        assert_eq!(en(HintCode::UserCancel), "Action cancelled.");
        assert_eq!(
            en(HintCode::Cancelled),
            "Action cancelled. Please try again."
        );
        assert!(
            en(HintCode::StartFailed)
                .starts_with("The BankID app couldn’t be found on your computer or mobile device")
        );
        assert_eq!(en(HintCode::parse("x")), "Unknown error. Please try again.");
    }

    #[test]
    fn autostart_variant() {
        for device in [Device::Desktop, Device::Mobile] {
            for hint in [HintCode::OutstandingTransaction, HintCode::NoClient] {
                assert_eq!(hint.rfa(ctx(LaunchMethod::AutoStart, device)), Rfa::Rfa13);
                assert_eq!(hint.rfa(ctx(LaunchMethod::QrCode, device)), Rfa::Rfa1Qr);
                assert_eq!(hint.rfa(ctx(LaunchMethod::Unspecified, device)), Rfa::Rfa1);
            }
        }
        assert_eq!(
            HintCode::OutstandingTransaction
                .message_in(Lang::Sv, ctx(LaunchMethod::AutoStart, Device::Mobile)),
            "Försöker starta BankID-appen."
        );
    }

    #[test]
    fn started_depends_on_launch_and_device() {
        let s = HintCode::Started;
        let cases = [
            (LaunchMethod::AutoStart, Device::Desktop, Rfa::Rfa15A),
            (LaunchMethod::AutoStart, Device::Mobile, Rfa::Rfa15B),
            (LaunchMethod::Unspecified, Device::Desktop, Rfa::Rfa14A),
            (LaunchMethod::Unspecified, Device::Mobile, Rfa::Rfa14B),
            // On a QR page the order is on the phone that scanned: no search here.
            (LaunchMethod::QrCode, Device::Desktop, Rfa::Rfa21),
            (LaunchMethod::QrCode, Device::Mobile, Rfa::Rfa21),
        ];
        for (launch, device, expected) in cases {
            assert_eq!(s.rfa(ctx(launch, device)), expected);
        }
        // Only RFA14 suggests another device.
        let other = "If you have a BankID on another device";
        assert!(Rfa::Rfa14A.text(Lang::En).contains(other));
        assert!(Rfa::Rfa14B.text(Lang::En).contains(other));
        assert!(!Rfa::Rfa15A.text(Lang::En).contains(other));
        assert!(!Rfa::Rfa15B.text(Lang::En).contains(other));
        // Desktop variants mention the card reader, mobile ones do not.
        assert!(Rfa::Rfa14A.text(Lang::Sv).contains("kortläsaren"));
        assert!(!Rfa::Rfa14B.text(Lang::Sv).contains("kortläsaren"));
    }

    #[test]
    fn start_failed_after_qr_is_rfa17b() {
        let ctx = ctx(LaunchMethod::QrCode, Device::Desktop);
        assert_eq!(HintCode::StartFailed.rfa(ctx), Rfa::Rfa17B);
        assert!(
            HintCode::StartFailed
                .message_in(Lang::Sv, ctx)
                .starts_with("Misslyckades att läsa av QR-koden.")
        );
    }

    #[test]
    fn failure_codes() {
        let d = MessageContext::default();
        assert_eq!(FailureCode::Conflict.rfa(d), Rfa::Rfa4);
        assert_eq!(FailureCode::InternalError.rfa(d), Rfa::Rfa5);
        assert_eq!(FailureCode::SessionTimeout.rfa(d), Rfa::Rfa8);
        assert_eq!(FailureCode::Cancelled.rfa(d), Rfa::Rfa3);
        assert_eq!(FailureCode::parse("WHATEVER").rfa(d), Rfa::Rfa22);
        assert_eq!(
            FailureCode::InternalError.message(Lang::Sv),
            "Internt tekniskt fel. Försök igen."
        );
    }

    #[test]
    fn pending_without_hint_is_rfa21() {
        assert_eq!(
            None::<HintCode>.message(Lang::Sv),
            "Identifiering eller underskrift pågår."
        );
        assert_eq!(
            Some(HintCode::UserSign).rfa(MessageContext::default()),
            Rfa::Rfa9
        );
    }

    #[test]
    fn every_message_has_distinct_non_empty_texts_in_both_languages() {
        let mut seen = std::collections::HashSet::new();
        for rfa in ALL {
            let (sv, en) = (rfa.text(Lang::Sv), rfa.text(Lang::En));
            assert!(!sv.is_empty() && !en.is_empty());
            assert_ne!(sv, en, "{rfa:?} not translated");
            assert!(seen.insert(sv), "duplicate Swedish text {rfa:?}");
            assert!(seen.insert(en), "duplicate English text {rfa:?}");
        }
    }

    #[test]
    fn codes_match_variant_names() {
        for rfa in ALL {
            match rfa.code() {
                // RFA1 on a QR page is BankID's RFA1 with the QR code named.
                Some(code) if rfa == Rfa::Rfa1Qr => assert_eq!(code, "RFA1"),
                Some(code) => assert_eq!(code, format!("{rfa:?}").to_uppercase()),
                None => assert!(matches!(rfa, Rfa::CallConfirm | Rfa::CallDeclined)),
            }
        }
    }
}
