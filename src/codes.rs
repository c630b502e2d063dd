//! The codes a session reports: BankID hint codes while it runs, failure codes
//! when it ends without success. Both keep values this crate does not know
//! (`Unknown`), so a new code from the server is never a parse error.

use std::fmt;

macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A code this version of the crate does not know, kept verbatim
            /// ([`as_str`](Self::as_str) gives it back); `Debug` and
            /// `Display` show it cleaned (no control characters, long digit
            /// runs masked, at most 200 characters), as the server is not
            /// trusted to send only codes.
            Unknown(String),
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $( Self::$variant => f.write_str(stringify!($variant)), )*
                    Self::Unknown(other) => f
                        .debug_tuple("Unknown")
                        .field(&crate::sensitive::sanitize(other))
                        .finish(),
                }
            }
        }

        impl $name {
            /// The code as it travels on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Unknown(other) => other,
                }
            }

            /// Parses a wire code; never fails, unknown codes are kept.
            pub fn parse(code: &str) -> Self {
                match code {
                    $( $wire => Self::$variant, )*
                    other => Self::Unknown(other.to_string()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    Self::Unknown(other) => f.write_str(&crate::sensitive::sanitize(other)),
                    known => f.write_str(known.as_str()),
                }
            }
        }

        impl From<&str> for $name {
            fn from(code: &str) -> Self {
                Self::parse(code)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let code = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Ok(Self::parse(&code))
            }
        }
    };
}

code_enum! {
    /// Why a session ended without success: the `error` of a FAILED session.
    ///
    /// ```
    /// use identisure::FailureCode;
    ///
    /// assert_eq!(FailureCode::parse("CANCELLED"), FailureCode::Cancelled);
    /// assert_eq!(FailureCode::parse("NEW_CODE"), FailureCode::Unknown("NEW_CODE".into()));
    /// assert_eq!(FailureCode::SessionTimeout.as_str(), "SESSION_TIMEOUT");
    ///
    /// // What a hostile server sends is kept, but shown cleaned.
    /// let odd = FailureCode::parse("FAIL\u{1b}[2J 198112189876");
    /// assert_eq!(odd.as_str(), "FAIL\u{1b}[2J 198112189876");
    /// assert!(!format!("{odd} {odd:?}").contains('\u{1b}'));
    /// assert!(!format!("{odd} {odd:?}").contains("198112189876"));
    /// ```
    FailureCode {
        /// The user could not be authenticated.
        AuthFailed = "AUTH_FAILED",
        /// The session was cancelled, by the user or by the relying party.
        Cancelled = "CANCELLED",
        /// The identity given is not valid.
        InvalidId = "INVALID_ID",
        /// Another session is in progress for the same user.
        Conflict = "CONFLICT",
        /// The provider failed internally.
        InternalError = "INTERNAL_ERROR",
        /// The user did not finish in time.
        SessionTimeout = "SESSION_TIMEOUT",
        /// The user's app is too old or otherwise unsupported.
        UnsupportedClient = "UNSUPPORTED_CLIENT",
    }
}

code_enum! {
    /// Progress of a Swedish BankID session (`hintCode`), while pending and
    /// after a failure.
    ///
    /// ```
    /// use identisure::HintCode;
    ///
    /// assert_eq!(HintCode::parse("userSign"), HintCode::UserSign);
    /// assert_eq!(HintCode::parse("somethingNew").as_str(), "somethingNew");
    /// ```
    HintCode {
        /// The order is pending; the app has not been started yet.
        OutstandingTransaction = "outstandingTransaction",
        /// No BankID app was found on the device.
        NoClient = "noClient",
        /// The app has started and is looking for a usable BankID.
        Started = "started",
        /// The user must enter their security code (or confirm) in the app.
        UserSign = "userSign",
        /// The user must scan a machine-readable travel document.
        UserMrtd = "userMrtd",
        /// The user must confirm the phone call in the app (phone flows).
        UserCallConfirm = "userCallConfirm",
        /// The user did not act in time.
        ExpiredTransaction = "expiredTransaction",
        /// The user's BankID is blocked or too old.
        CertificateErr = "certificateErr",
        /// The user cancelled in the app.
        UserCancel = "userCancel",
        /// The order was cancelled (e.g. by a new order for the same user).
        Cancelled = "cancelled",
        /// The app could not be started.
        StartFailed = "startFailed",
        /// The user declined the phone call (phone flows).
        UserDeclinedCall = "userDeclinedCall",
    }
}
