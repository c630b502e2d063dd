//! The API's operations, generated from `openapi.yaml` by build.rs: a static
//! per operation (id, method, path), the public [`Provider`] enum, and a
//! [`Flow`] per start operation (with the collect and cancel of its session).
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

/// One operation of the spec.
#[derive(Debug)]
pub(crate) struct Operation {
    /// Its operationId (snake_case, as the generated method is named).
    pub id: &'static str,
    pub method: reqwest::Method,
    /// The path template, e.g. `/v3/bankid-se/auth/{id}`.
    pub path: &'static str,
}

/// A start operation and the collect/cancel operations of its session
/// (phone and backchannel flows are collected through their auth/sign flow).
#[derive(Debug)]
#[cfg_attr(not(feature = "simulator"), allow(dead_code))]
pub(crate) struct Flow {
    pub provider: Provider,
    /// The flow, e.g. `auth`, `phone_sign`, `age_verification`.
    pub name: &'static str,
    /// The flow its sessions are collected through, e.g. `sign` for `phone_sign`.
    pub family: &'static str,
    pub start: &'static Operation,
    pub collect: &'static Operation,
    pub cancel: &'static Operation,
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
        assert_eq!(bc.cancel.id, "freja_auth_cancel");
        assert_eq!(bc.provider, Provider::Freja);
        for flow in FLOWS {
            assert_eq!(flow.collect.method, reqwest::Method::GET);
            assert_eq!(flow.cancel.method, reqwest::Method::DELETE);
            assert!(
                flow.start
                    .path
                    .starts_with(&format!("/v3/{}/", flow.provider.segment()))
            );
        }
    }
}
