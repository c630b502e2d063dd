//! The HTTP surface: every operation of `openapi.yaml` (from the table
//! build.rs generates), plus the approval page.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::{BytesRejection, FormRejection};
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Request, State as AxumState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use base64::Engine as _;
use subtle::ConstantTimeEq;

use super::error::ApiError;
use super::flows::{self, Family, Provider, Start};
use super::store::{Session, State};
use super::{RateLimit, Shared, approve, decode, people, render, scenario};
use identisure::operations;
use identisure::raw::types;

type Sh = AxumState<Arc<Shared>>;
type ApiResult = Result<Response, ApiError>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let mut router = Router::new();
    // Every path and method comes from the table build.rs generates from
    // openapi.yaml: a path changed in the spec moves here too.
    for start in flows::starts() {
        router = router.route(
            start.path(),
            post(
                move |AxumState(sh): Sh,
                      headers: HeaderMap,
                      body: Result<Bytes, BytesRejection>| async move {
                    start_session(sh, start, headers, body)
                        .await
                        .into_response()
                },
            ),
        );
    }
    for (provider, family, collect_op, cancel_op) in flows::families() {
        router = router.route(
            collect_op.path(),
            get(
                move |AxumState(sh): Sh, headers: HeaderMap, Path(id): Path<String>| async move {
                    collect(sh, provider, family, headers, id)
                        .await
                        .into_response()
                },
            ),
        );
        // A family the API cannot cancel has no DELETE route.
        let Some(cancel_op) = cancel_op else {
            continue;
        };
        router = router.route(
            cancel_op.path(),
            delete(
                move |AxumState(sh): Sh, headers: HeaderMap, Path(id): Path<String>| async move {
                    cancel(sh, provider, family, headers, id)
                        .await
                        .into_response()
                },
            ),
        );
    }
    let document_limit = shared.max_document.saturating_add(64 * 1024);
    let log = shared.log_requests;
    let upload = || post(upload_document).layer(DefaultBodyLimit::max(document_limit));
    // The documents also answer under `/v3` (the official Rust client's
    // paths): decision `document-paths`.
    let under_v3 = |path: &str| format!("/v3{path}");
    // Routes of operations outside the flows, when the spec has them.
    let path = |id: &str| operations::operation(id).map(|o| o.path());
    if let Some(verify) = path("bankid_se_verify") {
        router = router.route(verify, post(verify_session));
    }
    if let Some(upload_path) = path("document_upload") {
        router = router
            .route(upload_path, upload())
            .route(&under_v3(upload_path), upload());
    }
    if let Some(get_path) = path("document_get") {
        router = router
            .route(get_path, get(get_document))
            .route(&under_v3(get_path), get(get_document));
    }
    if let Some(delete_path) = path("document_delete") {
        router = router
            .route(delete_path, delete(delete_document))
            .route(&under_v3(delete_path), delete(delete_document));
    }
    router
        .route(
            "/sim/approve/{id}",
            get(approval_page).post(approval_answer),
        )
        .route("/sim/scan", post(scan))
        .route(
            "/sim/health",
            get(|| async { axum::Json(serde_json::json!({ "status": "ok" })) }),
        )
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such path") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this path",
            )
        })
        .layer(DefaultBodyLimit::max(shared.max_body))
        .layer(axum::middleware::from_fn(
            move |request: Request, next: Next| async move {
                if !log {
                    return next.run(request).await;
                }
                let line = format!("{} {}", request.method(), request.uri().path());
                let response = next.run(request).await;
                eprintln!("{line} -> {}", response.status().as_u16());
                response
            },
        ))
        .with_state(shared)
}

/// The account of a request, from HTTP Basic credentials.
fn authenticate(sh: &Shared, headers: &HeaderMap) -> Result<String, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(ApiError::unauthorized)?;
    let (scheme, encoded) = value.split_once(' ').ok_or_else(ApiError::unauthorized)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(ApiError::unauthorized());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| ApiError::unauthorized())?;
    let decoded = String::from_utf8(decoded).map_err(|_| ApiError::unauthorized())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(ApiError::unauthorized)?;
    let mut found = None;
    for (account, key) in &sh.accounts {
        let secret_ok: bool = key.as_bytes().ct_eq(secret.as_bytes()).into();
        if account == id && secret_ok {
            found = Some(account.clone());
        }
    }
    found.ok_or_else(ApiError::unauthorized)
}

fn body_error(rejection: BytesRejection) -> ApiError {
    let status = rejection.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(status, "request body too large")
    } else {
        ApiError::new(status, rejection.body_text())
    }
}

fn created(value: serde_json::Value) -> Response {
    (StatusCode::CREATED, axum::Json(value)).into_response()
}

async fn start_session(
    sh: Arc<Shared>,
    start: Start,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let account = authenticate(&sh, &headers)?;
    let body = body.map_err(body_error)?;
    // The PHP client sends a request without fields as `[]` (an empty PHP
    // array); the document says nothing against it, so it means `{}`.
    let body: &[u8] = if body.trim_ascii() == b"[]" {
        sh.warn(format!(
            "{}: body `[]` read as an empty object `{{}}`",
            start.path()
        ));
        b"{}"
    } else {
        &body
    };
    let params = flows::parse(start, body, sh.reading)?;
    for warning in &params.warnings {
        sh.warn(format!("{}: {warning}", start.path()));
    }
    let by_ref = scenario::from_ref_id(params.ref_id.as_deref())?;
    let country = params
        .ssn_country
        .unwrap_or(flows::default_country(start.provider()));
    // A number without even the shape of one is refused, as the service
    // does; a wrong check digit or date is the simulator's own rule (the
    // provider's test suites send such numbers): a warning, the number kept.
    let (ssn, person) = match (params.ssn.as_deref(), params.ssn_country) {
        (None, _) => (None, people::Person::from(people::default_person(country))),
        // Freja with a country outside the four: no rules to check.
        (Some(raw), None) => {
            let raw = raw.trim().to_string();
            let person = people::synthetic(country, &raw, None);
            (Some(raw), person)
        }
        (Some(raw), Some(country)) => match people::read_number(country, raw) {
            Err(rule) => return Err(ApiError::field("ssn", rule)),
            Ok(people::Reading::Valid(number, birth)) => {
                let person = people::by_ssn(&number).map_or_else(
                    || people::synthetic(country, &number, Some(birth)),
                    people::Person::from,
                );
                (Some(number), person)
            }
            Ok(people::Reading::Unchecked(rule, birth)) => {
                sh.warn(format!(
                    "{}: ssn: {rule}; accepted (the real service may refuse it)",
                    start.path()
                ));
                let raw = raw.trim().to_string();
                let person = people::synthetic(country, &raw, birth);
                (Some(raw), person)
            }
        },
    };
    let by_ssn = ssn.as_deref().and_then(scenario::from_ssn);
    let (scenario, person) = match by_ref {
        Some(scenario::Choice::Entry(entry)) => (entry.scenario, person),
        // A person of that age, unless the start named one.
        Some(scenario::Choice::Aged(years)) if ssn.is_none() => {
            let today = super::clock::Date::today();
            let born = (today.year - years as i32, today.month, today.day.min(28));
            let number = people::swedish_personal_number(born);
            let aged = people::synthetic(identisure::national_id::Country::Se, &number, Some(born));
            (scenario::Scenario::Complete, aged)
        }
        Some(scenario::Choice::Aged(_)) => (scenario::Scenario::Complete, person),
        None => (
            by_ssn.map_or(scenario::Scenario::Complete, |e| e.scenario),
            person,
        ),
    };

    let now = Instant::now();
    let answer = {
        let mut store = sh.lock();
        let mut documents = Vec::new();
        for (i, doc) in params.documents.iter().enumerate() {
            match store.documents.get(doc) {
                Some(d) if d.account == account => documents.push((doc.clone(), d.hash.clone())),
                _ => {
                    return Err(ApiError::field(
                        &format!("documents[{i}]"),
                        "unknown document id",
                    ));
                }
            }
        }
        if let Some(n) = &ssn {
            let mut conflicting = Vec::new();
            for s in store.sessions.values_mut() {
                if s.account == account
                    && s.provider() == start.provider()
                    && s.ssn.as_deref() == Some(n)
                {
                    s.advance(now, &sh.timing);
                    if s.end(State::Failed {
                        code: "CONFLICT",
                        hint: "cancelled",
                        at: now,
                    }) {
                        conflicting.push(s.id.clone());
                    }
                }
            }
            if !conflicting.is_empty() {
                let deliveries = sh.deliveries(&store, &conflicting, now);
                drop(store);
                sh.send(deliveries);
                return Err(ApiError::field(
                    "ssn",
                    "a session is already in progress for this user",
                ));
            }
        }
        if store.sessions.len() >= sh.max_sessions {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the simulator holds {} sessions, its limit",
                    sh.max_sessions
                ),
            ));
        }
        sh.room_for(&store, params.held_bytes())?;
        let id = store.uuid();
        let tokens = store.tokens();
        let session = Session {
            id: id.clone(),
            account,
            start,
            params,
            scenario,
            person,
            ssn,
            started: now,
            started_wall: std::time::SystemTime::now(),
            state: State::Pending,
            tokens,
            documents,
            collects: Vec::new(),
            last_answered: None,
            page_opened: false,
            needs_user: sh.require_user
                && matches!(
                    start.channel(),
                    flows::Channel::App | flows::Channel::Redirect
                ),
            scanned_at: None,
        };
        let answer = render::session(&session, now, &sh.timing, sh.base_url());
        store.insert_session(session);
        answer
    };
    Ok(created(answer))
}

/// The session `id` of `account` in this provider and family.
fn find<'a>(
    sessions: &'a mut std::collections::HashMap<String, Session>,
    account: &str,
    provider: Provider,
    family: Family,
    id: &str,
) -> Result<&'a mut Session, ApiError> {
    sessions
        .get_mut(id)
        .filter(|s| s.account == account && s.provider() == provider && s.family() == family)
        .ok_or_else(|| ApiError::not_found("session"))
}

async fn collect(
    sh: Arc<Shared>,
    provider: Provider,
    family: Family,
    headers: HeaderMap,
    id: String,
) -> ApiResult {
    let account = authenticate(&sh, &headers)?;
    let now = Instant::now();
    let (answer, deliveries) = {
        let mut guard = sh.lock();
        let store = &mut *guard;
        let session = find(&mut store.sessions, &account, provider, family, &id)?;
        if session.collects.len() < super::store::COLLECT_LOG_LIMIT {
            session.collects.push(now);
        }
        let last = match sh.rate_limit {
            RateLimit::PerSession => session.last_answered,
            RateLimit::PerAccount => store.account_last_collect.get(&account).copied(),
        };
        if last.is_some_and(|last| now.saturating_duration_since(last) < Duration::from_secs(1)) {
            sh.violations.fetch_add(1, Ordering::Relaxed);
            return Err(ApiError::too_many_requests());
        }
        session.last_answered = Some(now);
        let ended = session.advance(now, &sh.timing);
        let answer = render::session(session, now, &sh.timing, sh.base_url());
        store.account_last_collect.insert(account, now);
        let deliveries = if ended {
            sh.deliveries(store, &[id], now)
        } else {
            Vec::new()
        };
        (answer, deliveries)
    };
    sh.send(deliveries);
    Ok(axum::Json(answer).into_response())
}

async fn cancel(
    sh: Arc<Shared>,
    provider: Provider,
    family: Family,
    headers: HeaderMap,
    id: String,
) -> ApiResult {
    let account = authenticate(&sh, &headers)?;
    let now = Instant::now();
    let deliveries = {
        let mut store = sh.lock();
        let session = find(&mut store.sessions, &account, provider, family, &id)?;
        session.advance(now, &sh.timing);
        if session.end(State::Failed {
            code: "CANCELLED",
            hint: "cancelled",
            at: now,
        }) {
            sh.deliveries(&store, &[id], now)
        } else {
            Vec::new()
        }
    };
    sh.send(deliveries);
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn verify_session(
    AxumState(sh): Sh,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    authenticate(&sh, &headers)?;
    let body = body.map_err(body_error)?;
    let request: types::BankIdSeVerifyRequest = decode::json(&body)?;
    // Any code verifies (decision `verify-any-qr-code`): the documented one
    // as Astrid Lindqvist, any other as a Swedish test person it picks.
    let person = people::for_verify_code(request.qr_code.as_str());
    Ok(axum::Json(render::verified(person)).into_response())
}

async fn upload_document(
    AxumState(sh): Sh,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult {
    let account = authenticate(&sh, &headers)?;
    let mut multipart =
        multipart.map_err(|r| ApiError::bad_request(format!("body: {}", r.body_text())))?;
    let mut file = None;
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|e| ApiError::new(e.status(), format!("body: {}", e.body_text())))?;
        let Some(field) = field else { break };
        if field.name() == Some("file") {
            let bytes = field
                .bytes()
                .await
                .map_err(|e| ApiError::new(e.status(), format!("file: {}", e.body_text())))?;
            file = Some(bytes);
        }
    }
    let file =
        file.ok_or_else(|| ApiError::field("file", "is required (multipart form field `file`)"))?;
    if file.len() > sh.max_document {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("file: larger than {} bytes", sh.max_document),
        ));
    }
    if !file.starts_with(b"%PDF-") {
        return Err(ApiError::field(
            "file",
            "must be a PDF document (starting with %PDF-)",
        ));
    }
    let hash = render::sha256_hex(&file);
    let mut store = sh.lock();
    sh.room_for(&store, file.len())?;
    let id = store.uuid();
    store.insert_document(
        id.clone(),
        super::store::Document {
            account,
            hash: hash.clone(),
            bytes: file,
            uploaded: Instant::now(),
        },
    );
    Ok(created(serde_json::json!({ "id": id, "hash": hash })))
}

/// The document's PDF bytes (decision `document-download-bytes`).
async fn get_document(AxumState(sh): Sh, headers: HeaderMap, Path(id): Path<String>) -> ApiResult {
    let account = authenticate(&sh, &headers)?;
    let store = sh.lock();
    match store.documents.get(&id) {
        Some(d) if d.account == account => {
            Ok(([(header::CONTENT_TYPE, "application/pdf")], d.bytes.clone()).into_response())
        }
        _ => Err(ApiError::not_found("document")),
    }
}

/// Deletes a document (decision `document-delete`).
async fn delete_document(
    AxumState(sh): Sh,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let account = authenticate(&sh, &headers)?;
    let mut store = sh.lock();
    match store.documents.get(&id) {
        Some(d) if d.account == account => {
            store.remove_document(&id);
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        _ => Err(ApiError::not_found("document")),
    }
}

async fn approval_page(AxumState(sh): Sh, Path(id): Path<String>) -> ApiResult {
    let now = Instant::now();
    let mut store = sh.lock();
    let session = store
        .sessions
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found("session"))?;
    session.advance(now, &sh.timing);
    session.page_opened = true;
    Ok(Html(approve::render(session, &format!("/sim/approve/{id}"))).into_response())
}

#[derive(serde::Deserialize)]
struct Answer {
    action: String,
}

/// The body of `POST /sim/scan`: what the user's phone presents.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ScanBody {
    qr_code: Option<String>,
    auto_start_token: Option<String>,
}

/// The user's phone scans a QR code or opens an autostart link (see
/// `SimulatorBuilder::require_user`): 200 `{"sessionId": …}`, or why the
/// app would refuse it.
async fn scan(AxumState(sh): Sh, body: Result<Bytes, BytesRejection>) -> ApiResult {
    let body = body.map_err(body_error)?;
    let scan: ScanBody = decode::json(&body)?;
    let now = Instant::now();
    let scanned = {
        let mut store = sh.lock();
        match (&scan.qr_code, &scan.auto_start_token) {
            (Some(code), None) => store.scan(super::store::Scan::QrCode(code), now),
            (None, Some(token)) => store.scan(super::store::Scan::AutoStartToken(token), now),
            _ => {
                return Err(ApiError::field(
                    "qrCode, autoStartToken",
                    "exactly one of them is required",
                ));
            }
        }
    };
    match scanned {
        Ok(id) => Ok(axum::Json(serde_json::json!({ "sessionId": id })).into_response()),
        Err(refused) => {
            let status = match refused {
                super::ScanRefused::Unknown => StatusCode::NOT_FOUND,
                super::ScanRefused::Ended | super::ScanRefused::AlreadyScanned => {
                    StatusCode::CONFLICT
                }
                _ => StatusCode::BAD_REQUEST,
            };
            Err(ApiError::new(status, refused.to_string()))
        }
    }
}

async fn approval_answer(
    AxumState(sh): Sh,
    Path(id): Path<String>,
    form: Result<Form<Answer>, FormRejection>,
) -> ApiResult {
    let Form(answer) = form.map_err(|r| ApiError::field("action", r.body_text()))?;
    let now = Instant::now();
    let (page, redirect, deliveries) = {
        let mut store = sh.lock();
        let session = store
            .sessions
            .get_mut(&id)
            .ok_or_else(|| ApiError::not_found("session"))?;
        session.advance(now, &sh.timing);
        let state = match answer.action.as_str() {
            "approve" => State::Completed { at: now },
            "cancel" => State::Failed {
                code: "CANCELLED",
                hint: "userCancel",
                at: now,
            },
            _ => return Err(ApiError::field("action", "must be `approve` or `cancel`")),
        };
        let ended = session.end(state);
        let page = approve::render(session, &format!("/sim/approve/{id}"));
        // Only the answer that ended the session goes back to the relying
        // party: a later post (someone else holding the link) sees the page.
        let redirect = session.params.redirect_url.clone().filter(|_| ended);
        let deliveries = if ended {
            sh.deliveries(&store, &[id], now)
        } else {
            Vec::new()
        };
        (page, redirect, deliveries)
    };
    sh.send(deliveries);
    Ok(match redirect {
        Some(url) => Redirect::to(&url).into_response(),
        None => Html(page).into_response(),
    })
}
