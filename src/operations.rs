//! The API's operations, from the table build.rs generates from
//! `openapi.yaml`: a static per operation (id, method, path), the public
//! [`Provider`] enum, and a [`Flow`] per start operation (with the collect
//! of its sessions and, when the API has one, their cancel).
//! The client builds its URLs from these paths, the simulator its routes and
//! the CLI its flow names, so a path changed in the spec reaches them all.
//! Also the collect rate limit.

use std::time::Duration;

/// The smallest gap between the starts of two collects of one session.
///
/// ```
/// assert_eq!(identisure::MIN_COLLECT_INTERVAL, std::time::Duration::from_secs(1));
/// ```
pub const MIN_COLLECT_INTERVAL: Duration = Duration::from_secs(1);

/// One operation of `openapi.yaml`: its operationId, method and path.
///
/// ```
/// let verify = identisure::operations::operations()
///     .find(|o| o.id() == "bankid_se_verify")
///     .unwrap();
/// assert_eq!((verify.method(), verify.path()), ("POST", "/v3/bankid-se/verify"));
/// ```
#[derive(Debug)]
pub struct Operation {
    /// Its operationId (snake_case, as the generated method is named).
    pub(crate) id: &'static str,
    pub(crate) method: reqwest::Method,
    /// The path template, e.g. `/v3/bankid-se/auth/{id}`.
    pub(crate) path: &'static str,
}

impl Operation {
    /// The operationId, e.g. `bankid_se_auth_start`.
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// The HTTP method, e.g. `POST`.
    pub fn method(&self) -> &str {
        self.method.as_str()
    }

    /// The path template, e.g. `/v3/bankid-se/auth/{id}`.
    pub fn path(&self) -> &'static str {
        self.path
    }
}

/// A flow of the API: a start operation, the collect operation of its
/// sessions and their cancel operation, when the API has one (phone and
/// backchannel flows are collected through their auth/sign flow).
///
/// ```
/// use identisure::Provider;
/// let phone = identisure::operations::flows()
///     .find(|f| f.start().id() == "bankid_se_phone_sign_start")
///     .unwrap();
/// assert_eq!(phone.provider(), Provider::BankIdSe);
/// assert_eq!((phone.name(), phone.family()), ("phone_sign", "sign"));
/// assert_eq!(phone.collect().path(), "/v3/bankid-se/sign/{id}");
/// assert_eq!(phone.cancel().map(|c| c.method()), Some("DELETE"));
/// ```
#[derive(Debug)]
pub struct Flow {
    pub(crate) provider: Provider,
    pub(crate) name: &'static str,
    pub(crate) family: &'static str,
    pub(crate) start: &'static Operation,
    pub(crate) collect: &'static Operation,
    pub(crate) cancel: Option<&'static Operation>,
}

impl Flow {
    /// The provider.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The flow, e.g. `auth`, `phone_sign`, `age_verification`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The flow its sessions are collected through, e.g. `sign` for `phone_sign`.
    pub fn family(&self) -> &'static str {
        self.family
    }

    /// The start operation (POST).
    pub fn start(&self) -> &'static Operation {
        self.start
    }

    /// The collect operation of its sessions (GET).
    pub fn collect(&self) -> &'static Operation {
        self.collect
    }

    /// The cancel operation of its sessions (DELETE), `None` when the API
    /// cannot cancel them ([`crate::Session::cancel`] then answers
    /// [`crate::Error::CancelUnsupported`] without sending anything).
    pub fn cancel(&self) -> Option<&'static Operation> {
        self.cancel
    }
}

/// Every operation of `openapi.yaml`, ordered by operationId.
///
/// ```
/// assert_eq!(identisure::operations::operations().count(), 56);
/// ```
pub fn operations() -> impl Iterator<Item = &'static Operation> {
    OPERATIONS.iter().copied()
}

/// The operation of an operationId, when the spec has it.
///
/// ```
/// let verify = identisure::operations::operation("bankid_se_verify").unwrap();
/// assert_eq!(verify.path(), "/v3/bankid-se/verify");
/// assert!(identisure::operations::operation("nothing").is_none());
/// ```
pub fn operation(id: &str) -> Option<&'static Operation> {
    operations().find(|o| o.id == id)
}

/// Every flow (one per start operation), ordered by operationId.
///
/// ```
/// assert_eq!(identisure::operations::flows().count(), 22);
/// ```
pub fn flows() -> impl Iterator<Item = &'static Flow> {
    FLOWS.iter().copied()
}

/// Turns the table build.rs writes (`OUT_DIR/operations.rs`: data from
/// `build/model.rs`, one line per operation, provider and flow) into a
/// static per operation, the [`Provider`] enum and a static per flow.
macro_rules! table {
    (@cancel) => { None };
    (@cancel $cancel:ident) => { Some(&$cancel) };
    (
        operations { $($op:ident = $id:literal $method:ident $path:literal;)* }
        providers {
            $($variant:ident = $segment:literal $name:literal $label:literal $country:ident $redirects:literal;)*
        }
        flows { $(
            $flow:ident = $provider:ident $flow_name:literal $family:literal
                $start:ident $collect:ident [$($cancel:ident)?];
        )* }
    ) => {
        $(pub(crate) static $op: Operation = Operation {
            id: $id,
            method: reqwest::Method::$method,
            path: $path,
        };)*

        /// Every operation of `openapi.yaml`.
        pub(crate) static OPERATIONS: [&Operation; [$($id),*].len()] = [$(&$op),*];

        /// An eID provider of the API (the first path segment after `/v3/`).
        ///
        /// ```
        /// use identisure::Provider;
        /// assert_eq!(Provider::BankIdSe.segment(), "bankid-se");
        /// assert_eq!(Provider::from_segment("freja"), Some(Provider::Freja));
        /// assert_eq!(Provider::ALL.len(), 6);
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Provider {
            $(#[doc = concat!($name, " (`/v3/", $segment, "/…`).")] $variant,)*
        }

        impl Provider {
            /// Every provider, in the order of the API document.
            pub const ALL: [Provider; [$($segment),*].len()] = [$(Provider::$variant),*];

            /// Its path segment, e.g. `bankid-se`.
            pub fn segment(self) -> &'static str {
                match self {
                    $(Provider::$variant => $segment,)*
                }
            }

            /// The name people know it by, e.g. `Swedish BankID`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Provider::$variant => $name,)*
                }
            }

            /// The shorter name a login page shows, e.g. `BankID (Norge)`.
            ///
            /// ```
            /// assert_eq!(identisure::Provider::MitId.label(), "MitID");
            /// ```
            pub fn label(self) -> &'static str {
                match self {
                    $(Provider::$variant => $label,)*
                }
            }

            /// The country of its people's identity numbers (Freja: Sweden,
            /// its default; it also knows Norway, Denmark and Finland).
            ///
            /// ```
            /// use identisure::{Provider, national_id::Country};
            /// assert_eq!(Provider::Vipps.country(), Country::No);
            /// ```
            pub fn country(self) -> crate::national_id::Country {
                match self {
                    $(Provider::$variant => crate::national_id::Country::$country,)*
                }
            }

            /// Whether its logins send the user to its own page (the `url`
            /// of PENDING, then back to you), not to an app by QR code or
            /// autostart link (Swedish BankID, Freja).
            ///
            /// ```
            /// use identisure::Provider;
            /// assert!(Provider::Vipps.redirects());
            /// assert!(!Provider::BankIdSe.redirects());
            /// ```
            pub fn redirects(self) -> bool {
                match self {
                    $(Provider::$variant => $redirects,)*
                }
            }

            /// The provider of a path segment.
            pub fn from_segment(segment: &str) -> Option<Provider> {
                match segment {
                    $($segment => Some(Provider::$variant),)*
                    _ => None,
                }
            }
        }

        $(pub(crate) static $flow: Flow = Flow {
            provider: Provider::$provider,
            name: $flow_name,
            family: $family,
            start: &$start,
            collect: &$collect,
            cancel: table!(@cancel $($cancel)?),
        };)*

        /// Every flow: a start with the collect (and cancel) of its sessions.
        pub(crate) static FLOWS: [&Flow; [$($flow_name),*].len()] = [$(&$flow),*];
    };
}

include!(concat!(env!("OUT_DIR"), "/operations.rs"));

impl Flow {
    /// The flow of a start operation.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn by_start(operation_id: &str) -> Option<&'static Flow> {
        FLOWS.iter().copied().find(|f| f.start.id == operation_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_holds_every_operation_of_the_spec_with_its_method_and_path() {
        let text = include_str!("../openapi.yaml");
        let spec: serde_json::Value = serde_norway::from_str(text).unwrap();
        let mut in_spec = Vec::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap().to_string();
                in_spec.push((id, method.to_uppercase(), path.clone()));
            }
        }
        in_spec.sort();
        let table: Vec<(String, String, String)> = OPERATIONS
            .iter()
            .map(|o| (o.id.to_string(), o.method.to_string(), o.path.to_string()))
            .collect();
        assert_eq!(table, in_spec);
    }

    #[test]
    fn every_start_has_a_flow_and_phone_and_backchannel_flows_use_their_family() {
        let starts = OPERATIONS
            .iter()
            .filter(|o| o.id.ends_with("_start"))
            .count();
        assert_eq!(FLOWS.len(), starts);
        let phone = Flow::by_start("bankid_se_phone_sign_start").unwrap();
        assert_eq!((phone.name, phone.family), ("phone_sign", "sign"));
        assert_eq!(phone.collect.path, "/v3/bankid-se/sign/{id}");
        let bc = Flow::by_start("freja_backchannel_auth_start").unwrap();
        assert_eq!(bc.cancel.map(|c| c.id), Some("freja_auth_cancel"));
        assert_eq!(bc.provider, Provider::Freja);
        for flow in FLOWS {
            assert_eq!(flow.collect.method, reqwest::Method::GET);
            // Every flow of today's spec can be cancelled (the table allows
            // a flow without).
            assert_eq!(flow.cancel.unwrap().method, reqwest::Method::DELETE);
            assert!(
                flow.start
                    .path
                    .starts_with(&format!("/v3/{}/", flow.provider.segment()))
            );
        }
    }
}
