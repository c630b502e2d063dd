//! Hand-written wire types that the generated code uses in place of a spec
//! schema (`REPLACED_SCHEMAS` in build/transforms.rs), apart from the
//! redacting ones of `sensitive.rs`.

/// Who placed the phone call of a phone auth or sign (`callInitiator`):
/// the user (`USER`) or the relying party (`RP`).
///
/// Sent as the API document writes it; read in any case, because five of the
/// provider's clients send `user` in their tests (decision
/// `call-initiator-case`), so a body written that way is never refused here.
///
/// ```
/// use identisure::providers::bankid_se::CallInitiator;
/// assert_eq!(serde_json::to_string(&CallInitiator::User).unwrap(), r#""USER""#);
/// let read: CallInitiator = serde_json::from_str(r#""user""#).unwrap();
/// assert_eq!(read, CallInitiator::User);
/// assert!(serde_json::from_str::<CallInitiator>(r#""BOTH""#).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum CallInitiator {
    /// The user called (`USER`).
    #[serde(rename = "USER")]
    User,
    /// The relying party called the user (`RP`).
    #[serde(rename = "RP")]
    Rp,
}

impl std::fmt::Display for CallInitiator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CallInitiator::User => "USER",
            CallInitiator::Rp => "RP",
        })
    }
}

impl std::str::FromStr for CallInitiator {
    type Err = String;
    fn from_str(value: &str) -> std::result::Result<Self, Self::Err> {
        if value.eq_ignore_ascii_case("USER") {
            Ok(CallInitiator::User)
        } else if value.eq_ignore_ascii_case("RP") {
            Ok(CallInitiator::Rp)
        } else {
            Err(format!(
                "unknown variant `{value}`, expected `USER` or `RP`"
            ))
        }
    }
}

impl<'de> serde::Deserialize<'de> for CallInitiator {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let value = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        value.parse().map_err(serde::de::Error::custom)
    }
}
