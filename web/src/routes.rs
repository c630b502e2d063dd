//! The routes of the login router.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::Provider;
use super::flow::{self, StartRequest};
use super::pages;
use super::store::{self, Login, NoRoom, Shared};
use super::text::T;
use identisure::launch::{Device, bankid_link};
use identisure::messages::Lang;

type Sh = State<Arc<Shared>>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(start_page))
        .route("/start", post(start))
        .route("/login/{id}", get(waiting))
        .route("/login/{id}/events", get(events))
        .route("/login/{id}/cancel", post(cancel))
        .route("/login/{id}/autostart", post(autostart))
        .route("/login/{id}/return/{key}", get(back))
        .route("/login/{id}/result", get(result))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            this_machine_only,
        ))
        .with_state(shared)
}

/// An HTML answer with the headers every page gets: no caching, no framing,
/// no referrer to other sites (the login's URL stays here; this server's
/// own form posts keep their `Origin`), and a content security policy allowing only inline styles
/// and scripts, `data:` images and this server.
fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, Html(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
             img-src data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    response
}

fn see_other(url: &str) -> Response {
    Redirect::to(url).into_response()
}

fn mount(shared: &Shared) -> &str {
    shared.options.mount_path.trim_end_matches('/')
}

/// Scheme and host the browser uses: the configured public URL, else the
/// `Host` header, which [`this_machine_only`] has already checked to be one
/// of this machine's own names.
fn public_base(shared: &Shared, headers: &HeaderMap) -> String {
    if let Some(url) = &shared.options.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let host = host_header(headers).unwrap_or("localhost");
    format!("http://{}", host.to_ascii_lowercase())
}

fn host_header(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::HOST).and_then(|h| h.to_str().ok())
}

/// Whether `host` (a `Host` header: name or address, optional port) names
/// this machine: `localhost`, or an address that parses as a loopback
/// address (`127.0.0.0/8`, `::1`, an IPv4-mapped loopback). Names are
/// parsed, never matched by prefix (`127.attacker.example` is not local).
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((v6, "")) => v6,
            Some((v6, port)) if port.strip_prefix(':').is_some_and(is_port) => v6,
            _ => return false,
        },
        None => match host.rsplit_once(':') {
            Some((name, port)) if is_port(port) => name,
            Some(_) => return false,
            None => host,
        },
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

fn is_port(text: &str) -> bool {
    !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Without [`super::Options::public_url`], the router serves only requests
/// naming this machine (see [`is_loopback_host`]): the return URL of a
/// redirect provider and the mobile BankID link are built from the `Host`
/// header, which a client chooses, so any other name could send a victim
/// (return key included) to the attacker's host. Other names get 421
/// Misdirected Request, and the operator a log line (once) saying to set
/// `public_url`.
async fn this_machine_only(
    State(sh): Sh,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if sh.options.public_url.is_some()
        || host_header(request.headers()).is_some_and(is_loopback_host)
    {
        return next.run(request).await;
    }
    if !sh.warned_public_url.swap(true, Ordering::Relaxed) {
        tracing::error!(
            "web login: refused a request naming another host than this machine: \
             Options::public_url is not set, so the page serves only localhost and \
             loopback addresses. Set public_url to the address browsers use \
             (e.g. https://login.example.com) to serve it from other machines."
        );
    }
    let lang = sh.options.default_lang;
    html(
        StatusCode::MISDIRECTED_REQUEST,
        pages::problem(
            lang,
            T::StartFailedTitle,
            T::WrongHost.get(lang),
            mount(&sh),
        ),
    )
}

fn is_mobile(headers: &HeaderMap) -> bool {
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    ["Mobi", "Android", "iPhone", "iPad"]
        .iter()
        .any(|m| ua.contains(m))
}

#[derive(serde::Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

fn pick_lang(shared: &Shared, value: Option<&str>) -> Lang {
    value
        .and_then(|l| l.parse().ok())
        .unwrap_or(shared.options.default_lang)
}

async fn start_page(State(sh): Sh, Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    let lang = pick_lang(&sh, q.lang.as_deref());
    // The form carries a token that must match this browser's cookie: a
    // page elsewhere can post the form, but neither read nor set the cookie
    // (double submit, beside the origin check).
    let token = cookie(&headers, &csrf_cookie_name(&sh))
        .filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .map_or_else(store::new_id, str::to_string);
    let mut response = html(
        StatusCode::OK,
        pages::start(&sh.options, lang, mount(&sh), &token),
    );
    let value = format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax{}",
        csrf_cookie_name(&sh),
        if secure(&sh) { "; Secure" } else { "" }
    );
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// Whether the page is served over https (by its `public_url`): cookies
/// are then `Secure` and take the `__Host-` prefix, which a sibling domain
/// or a plain-http page cannot set (cookie tossing).
fn secure(sh: &Shared) -> bool {
    sh.options
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"))
}

fn cookie_prefix(sh: &Shared) -> &'static str {
    if secure(sh) { "__Host-" } else { "" }
}

fn csrf_cookie_name(sh: &Shared) -> String {
    format!("{}identisure-csrf", cookie_prefix(sh))
}

/// The value of the cookie `name` in the request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

#[derive(serde::Deserialize)]
struct StartForm {
    provider: Option<String>,
    lang: Option<String>,
    personal_number: Option<String>,
    test_identity: Option<String>,
    /// The start page's token (see `start_page`).
    csrf: Option<String>,
}

/// Whether a start comes from another site (login CSRF: a page elsewhere
/// posting the form so that the visitor logs in as someone the attacker
/// controls). Browsers say where a request comes from. `Sec-Fetch-Site`,
/// which pages cannot forge, decides when sent: it must be `same-origin` (or
/// `none`, typed by the user). Older browsers send only `Origin`, which must
/// then be this login's own origin, scheme, host and port (`public_url`,
/// else `http://` and the `Host`; `null` is foreign). Every start must also
/// carry the start page's token (`start_page`), so one with neither header
/// is refused unless it comes from this page.
fn cross_site(shared: &Shared, headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = text(header::ORIGIN.as_str()) else {
        return false;
    };
    let ours = match &shared.options.public_url {
        Some(url) => origin_of(url),
        None => {
            text(header::HOST.as_str()).map(|host| format!("http://{}", host.to_ascii_lowercase()))
        }
    };
    origin_of(origin).is_none() || origin_of(origin) != ours
}

/// `scheme://host[:port]` of a URL, lower-case, the default port left out.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let default = if scheme == "https" { ":443" } else { ":80" };
    let authority = authority.strip_suffix(default).unwrap_or(&authority);
    Some(format!("{scheme}://{authority}"))
}

async fn start(State(sh): Sh, parts: Parts, Form(form): Form<StartForm>) -> Response {
    let headers = &parts.headers;
    let lang = pick_lang(&sh, form.lang.as_deref());
    let mount = mount(&sh).to_string();
    let token_ok = match (
        form.csrf.as_deref(),
        cookie(headers, &csrf_cookie_name(&sh)),
    ) {
        (Some(sent), Some(kept)) => {
            !sent.is_empty() && constant_time_eq(sent.as_bytes(), kept.as_bytes())
        }
        _ => false,
    };
    if !token_ok || cross_site(&sh, headers) {
        return html(
            StatusCode::FORBIDDEN,
            pages::problem(lang, T::StartFailedTitle, T::CrossSite.get(lang), &mount),
        );
    }
    let provider = form
        .provider
        .as_deref()
        .and_then(Provider::from_segment)
        .filter(|p| sh.options.providers.contains(p));
    let Some(provider) = provider else {
        let message = T::Choose.get(lang);
        return html(
            StatusCode::BAD_REQUEST,
            pages::problem(lang, T::StartFailedTitle, message, &mount),
        );
    };
    // Only the offered test identities, never a refId of the browser's choosing.
    let ref_id = form.test_identity.filter(|r| !r.is_empty()).and_then(|r| {
        sh.options
            .test_identities
            .iter()
            .find(|c| c.ref_id == r)
            .map(|c| c.ref_id.clone())
    });
    let client = sh.options.client_key.as_ref().and_then(|key| key(&parts));
    if client.is_some()
        && client == super::peer_address(&parts)
        && parts.headers.contains_key("x-forwarded-for")
        && !sh.warned_proxy.swap(true, Ordering::Relaxed)
    {
        tracing::warn!(
            "web login: starts come through a proxy (X-Forwarded-For) but are counted by the \
             connecting address, the proxy's: every visitor shares one bound \
             (Options::max_logins_per_client). Set Options::client_key to \
             identisure_web::behind_proxies([your proxies' addresses])."
        );
    }
    let slot = match sh.make_room(client) {
        Ok(slot) => slot,
        Err(no_room) => return no_room_answer(no_room, lang, &mount),
    };
    let id = store::new_id();
    #[cfg(feature = "redis")]
    let nets = store::networks(slot.client().as_deref());
    #[cfg(feature = "redis")]
    if let Some(redis) = &sh.options.shared
        && let Err(no_room) = redis
            .make_room(
                &id,
                slot.client().as_deref(),
                &nets,
                &sh.options,
                store::NETWORK_FACTORS,
            )
            .await
    {
        return no_room_answer(no_room, lang, &mount);
    }
    let return_key = store::new_id();
    let request = StartRequest {
        id: id.clone(),
        provider,
        lang,
        personal_number: form.personal_number,
        ref_id,
        return_url: format!(
            "{}{mount}/login/{id}/return/{return_key}",
            public_base(&sh, headers)
        ),
        return_key,
        client: slot.client(),
    };
    match flow::start(&sh, &request).await {
        Ok(login) => {
            let cookie = browser_cookie(&sh, &id, &login, &mount);
            slot.fill(id.clone(), login);
            let mut response = see_other(&format!("{mount}/login/{id}"));
            if let Some(cookie) = cookie {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(e) => {
            #[cfg(feature = "redis")]
            if let Some(redis) = &sh.options.shared {
                redis.give_back(&id, request.client.as_deref(), &nets).await;
            }
            html(
                StatusCode::BAD_REQUEST,
                pages::problem(lang, T::StartFailedTitle, &e.message, &mount),
            )
        }
    }
}

/// 503 (all full) or 429 (this client full), with a page saying so.
fn no_room_answer(no_room: NoRoom, lang: Lang, mount: &str) -> Response {
    let (status, text) = match no_room {
        NoRoom::Full => (StatusCode::SERVICE_UNAVAILABLE, T::Busy),
        NoRoom::ClientFull => (StatusCode::TOO_MANY_REQUESTS, T::TooManyHere),
    };
    let page = pages::problem(lang, T::StartFailedTitle, text.get(lang), mount);
    let mut response = html(status, page);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
    response
}

fn cookie_name(sh: &Shared, id: &str) -> String {
    format!("{}identisure-login-{id}", cookie_prefix(sh))
}

/// The cookie tying a new login to this browser: scoped to the login's path
/// over http; over https `__Host-` (host-only, `Secure`, `Path=/`: a
/// sibling domain or a plain-http page cannot plant one).
fn browser_cookie(sh: &Shared, id: &str, login: &Login, mount: &str) -> Option<HeaderValue> {
    if !sh.options.bind_to_browser {
        return None;
    }
    let path = if secure(sh) {
        "/".to_string()
    } else {
        format!("{mount}/login/{id}")
    };
    let value = format!(
        "{}={}; Path={path}; Max-Age={}; HttpOnly; SameSite=Lax{}",
        cookie_name(sh, id),
        login.browser_key,
        sh.options.retention.as_secs(),
        if secure(sh) { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&value).ok()
}

/// Whether the request carries the login's browser cookie.
fn same_browser(sh: &Shared, id: &str, login: &Login, headers: &HeaderMap) -> bool {
    if !sh.options.bind_to_browser {
        return true;
    }
    cookie(headers, &cookie_name(sh, id))
        .is_some_and(|v| constant_time_eq(v.as_bytes(), login.browser_key.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The login of `id`, if it exists and belongs to this browser.
async fn find(
    sh: &Arc<Shared>,
    id: &str,
    headers: &HeaderMap,
) -> Result<Arc<Login>, Box<Response>> {
    let login = sh.find(id).await.ok_or_else(|| Box::new(not_found(sh)))?;
    if !same_browser(sh, id, &login, headers) {
        let lang = login.lang;
        return Err(Box::new(html(
            StatusCode::FORBIDDEN,
            pages::problem(lang, T::FailedTitle, T::OtherBrowser.get(lang), mount(sh)),
        )));
    }
    Ok(login)
}

fn not_found(sh: &Shared) -> Response {
    let lang = sh.options.default_lang;
    html(
        StatusCode::NOT_FOUND,
        pages::problem(lang, T::FailedTitle, T::NotFound.get(lang), mount(sh)),
    )
}

async fn waiting(State(sh): Sh, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let login = match find(&sh, &id, &headers).await {
        Ok(login) => login,
        Err(response) => return *response,
    };
    let base = format!("{}/login/{id}", mount(&sh));
    if login.status.borrow().is_final() {
        return see_other(&format!("{base}/result"));
    }
    let app_link = match &login.view {
        store::View::BankIdSe {
            auto_start_token: Some(token),
            ..
        } => Some(if is_mobile(&headers) {
            let back = format!("{}{base}", public_base(&sh, &headers));
            bankid_link(token, Device::Mobile, Some(&back))
        } else {
            bankid_link(token, Device::Desktop, None)
        }),
        store::View::Freja { app_link, .. } => app_link.clone(),
        _ => None,
    };
    let links = pages::WaitingLinks { base, app_link };
    html(StatusCode::OK, pages::waiting(&login, &links))
}

async fn events(State(sh): Sh, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let login = match find(&sh, &id, &headers).await {
        Ok(login) => login,
        Err(response) => return *response,
    };
    let Some(slot) = sh.open_stream(&login) else {
        let mut response = StatusCode::TOO_MANY_REQUESTS.into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return response;
    };
    let result_url = format!("{}/login/{id}/result", mount(&sh));
    let mut response = Sse::new(super::events::events(login, slot, result_url))
        .keep_alive(KeepAlive::default())
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn cancel(State(sh): Sh, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let login = match find(&sh, &id, &headers).await {
        Ok(login) => login,
        Err(response) => return *response,
    };
    let status = store::Status::Ended(flow::cancelled_here(login.provider, login.lang));
    if sh.finish(&id, &login, status).await {
        // Stop the session on the server too (bounded; the page does not wait
        // for more than a few seconds).
        match tokio::time::timeout(Duration::from_secs(5), (login.cancel)()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "web login: cancelling the session failed"),
            Err(_) => tracing::warn!("web login: cancelling the session timed out"),
        }
    }
    see_other(&format!("{}/login/{id}/result", mount(&sh)))
}

/// The page tells that the user opened the app with the autostart link:
/// BankID's messages change (RFA13 "Trying to start your BankID app." …).
async fn autostart(State(sh): Sh, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let login = match find(&sh, &id, &headers).await {
        Ok(login) => login,
        Err(response) => return *response,
    };
    login
        .autostarted
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let hint = login.last_hint.lock().map(|h| h.clone()).unwrap_or(None);
    let message = flow::pending_message(login.provider, hint, login.lang, login.launch());
    sh.autostarted(&id, &login, message).await;
    StatusCode::NO_CONTENT.into_response()
}

/// The browser comes back from a redirect provider's page. It must hold the
/// login's cookie (see `find`) and the one-time secret of the return URL;
/// only then does a completed login show its person (see `flow::came_back`).
async fn back(
    State(sh): Sh,
    Path((id, key)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let login = match find(&sh, &id, &headers).await {
        Ok(login) => login,
        Err(response) => return *response,
    };
    let valid = login
        .return_key
        .as_deref()
        .is_some_and(|expected| constant_time_eq(key.as_bytes(), expected.as_bytes()));
    // The key opens the login once: a leaked return URL is worth nothing.
    if !valid || !sh.use_return_key(&id, &login).await {
        let lang = login.lang;
        return html(
            StatusCode::FORBIDDEN,
            pages::problem(lang, T::FailedTitle, T::WrongReturn.get(lang), mount(&sh)),
        );
    }
    sh.returned(&id, &login).await;
    see_other(&format!("{}/login/{id}", mount(&sh)))
}

/// Ends `on_login`'s run when dropped: done if it ran to its end, else
/// idle again (a browser that went away mid-hook drops the request's future).
struct HookRun {
    sh: Arc<Shared>,
    id: String,
    login: Arc<Login>,
    done: bool,
}

impl Drop for HookRun {
    fn drop(&mut self) {
        self.sh.end_hook(&self.id, &self.login, self.done);
    }
}

async fn result(State(sh): Sh, Path(id): Path<String>, parts: Parts) -> Response {
    let login = match find(&sh, &id, &parts.headers).await {
        Ok(login) => login,
        Err(response) => return *response,
    };
    let status = login.status.borrow().clone();
    match status {
        store::Status::Pending(_) => return see_other(&format!("{}/login/{id}", mount(&sh))),
        store::Status::Completed(person) => {
            // The integrator's session starts here, once, in this browser's
            // request: taken for this request, done only when the hook ends.
            let first = sh.take_hook(&id, &login).await;
            if let (true, Some(hook)) = (first, &sh.options.on_login) {
                let mut run = HookRun {
                    sh: sh.clone(),
                    id: id.clone(),
                    login: login.clone(),
                    done: false,
                };
                let logged_in = super::LoggedIn {
                    person: *person,
                    request: parts,
                };
                let answer = hook(logged_in).await;
                run.done = true;
                if let Some(mut response) = answer {
                    response
                        .headers_mut()
                        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                    return response;
                }
            } else if first {
                sh.end_hook(&id, &login, true);
            }
        }
        store::Status::Ended(_) => {}
    }
    html(StatusCode::OK, pages::result(&login, mount(&sh)))
}
