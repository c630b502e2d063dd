//! The HTML pages: plain, self-contained (inline CSS and SVG, a few lines of
//! inline JavaScript), readable on a phone.

use super::store::{Failure, Login, Status, View};
use super::text::T;
use super::{Options, Provider};
use crate::login::svg_of;
use html_escape::encode_quoted_attribute as esc;
use identisure::messages::Lang;

const STYLE: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 1.05rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24;
       background: #eef1f4; margin: 0; }
main { max-width: 30rem; margin: 0 auto; background: #fff; padding: 1.5rem 1.25rem 2rem; min-height: 100vh; }
@media (min-width: 34rem) { main { margin: 2.5rem auto; min-height: 0; border-radius: 14px;
       box-shadow: 0 2px 14px rgba(0,0,0,.08); padding: 2rem; } }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 1rem; }
fieldset { border: 0; padding: 0; margin: 0 0 1.25rem; }
legend { font-weight: 600; margin-bottom: .5rem; }
.choice { display: flex; align-items: center; gap: .75rem; padding: .8rem .9rem; border: 2px solid #cfd6dd;
          border-radius: 10px; margin-bottom: .5rem; cursor: pointer; }
.choice:has(input:checked) { border-color: #0b5cad; background: #eef5fc; }
.choice input { width: 1.25rem; height: 1.25rem; margin: 0; }
label.field { display: block; font-weight: 600; margin: 0 0 .35rem; }
.help { color: #4a5561; font-size: .9rem; margin: .25rem 0 1rem; }
input[type=text], select { width: 100%; font: inherit; padding: .65rem .75rem; border: 2px solid #cfd6dd;
          border-radius: 10px; background: #fff; }
.button, button { display: block; width: 100%; text-align: center; font: inherit; font-weight: 600;
          padding: .85rem 1rem; border-radius: 10px; border: 2px solid #0b5cad; background: #0b5cad;
          color: #fff; text-decoration: none; cursor: pointer; margin: .75rem 0 0; }
.secondary { background: #fff; color: #0b5cad; }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, .choice:focus-within {
          outline: 3px solid #f0a500; outline-offset: 2px; }
.qr { width: min(18rem, 100%); margin: 1rem auto; padding: .5rem; background: #fff; border: 1px solid #cfd6dd;
      border-radius: 10px; }
.qr svg { display: block; width: 100%; height: auto; shape-rendering: crispEdges; }
.status { font-weight: 600; padding: .75rem 1rem; background: #f3f6f9; border-left: 4px solid #0b5cad;
          border-radius: 6px; min-height: 3rem; }
.binding { font-size: 1.4rem; font-weight: 700; letter-spacing: .05em; }
.ok { border-left-color: #1a7f37; }
.bad { border-left-color: #b42318; background: #fdf1f0; }
.langs { text-align: right; margin: 0 0 .5rem; font-size: .95rem; }
.note { color: #4a5561; font-size: .85rem; margin-top: 2rem; }
"#;

/// The start page's path below `mount` (`/` at the root, else the mount
/// itself: a nested router's `/` answers there).
pub(crate) fn home(mount: &str) -> String {
    if mount.is_empty() {
        "/".to_string()
    } else {
        mount.to_string()
    }
}

/// A whole page.
pub(crate) fn page(lang: Lang, title: &str, body: &str, head_extra: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
{head_extra}<style>{STYLE}</style>
</head>
<body>
<main>
{body}
</main>
</body>
</html>
"#,
        lang = lang.code(),
        title = esc(title),
    )
}

/// The start page: choose a provider (and language, test identity).
pub(crate) fn start(options: &Options, lang: Lang, mount: &str, csrf: &str) -> String {
    let mut body = format!(
        "<p class=\"langs\"><a href=\"{m}?lang=sv\" lang=\"sv\" hreflang=\"sv\">Svenska</a> · <a href=\"{m}?lang=en\" lang=\"en\" hreflang=\"en\">English</a></p>\n<h1>{}</h1>\n",
        esc(T::LogIn.get(lang)),
        m = esc(&home(mount)),
    );
    body.push_str(&format!(
        r#"<form method="post" action="{}/start">
<input type="hidden" name="csrf" value="{}">
<fieldset><legend>{}</legend>
"#,
        esc(mount),
        esc(csrf),
        esc(T::Choose.get(lang))
    ));
    for (i, p) in options.providers.iter().enumerate() {
        body.push_str(&format!(
            r#"<label class="choice"><input type="radio" name="provider" value="{slug}" id="provider-{slug}"{checked} required> {name}</label>
"#,
            slug = p.segment(),
            name = esc(p.label()),
            checked = if i == 0 { " checked" } else { "" },
        ));
    }
    body.push_str("</fieldset>\n");
    if options.providers.contains(&Provider::Freja) {
        body.push_str(&format!(
            r#"<label class="field" for="personal_number">{}</label>
<input type="text" id="personal_number" name="personal_number" inputmode="numeric" autocomplete="off" aria-describedby="pn-help" value="{}">
<p class="help" id="pn-help">{}</p>
"#,
            esc(T::PersonalNumber.get(lang)),
            esc(options.prefill_personal_number.as_deref().unwrap_or("")),
            esc(T::PersonalNumberHelp.get(lang)),
        ));
    }
    if !options.test_identities.is_empty() {
        body.push_str(&format!(
            r#"<label class="field" for="test_identity">{}</label>
<select id="test_identity" name="test_identity">
<option value="">{}</option>
"#,
            esc(T::TestIdentity.get(lang)),
            esc(T::TestIdentityNone.get(lang)),
        ));
        for choice in &options.test_identities {
            body.push_str(&format!(
                "<option value=\"{}\">{}</option>\n",
                esc(&choice.ref_id),
                esc(&choice.label)
            ));
        }
        body.push_str("</select>\n<p class=\"help\"></p>\n");
    }
    body.push_str(&format!(
        r#"<label class="field" for="lang">{}</label>
<select id="lang" name="lang">
<option value="sv"{}>Svenska</option>
<option value="en"{}>English</option>
</select>
<button type="submit" id="continue">{}</button>
</form>
"#,
        esc(T::Language.get(lang)),
        if lang == Lang::Sv { " selected" } else { "" },
        if lang == Lang::En { " selected" } else { "" },
        esc(T::Continue.get(lang)),
    ));
    page(lang, T::LogIn.get(lang), &body, "")
}

/// Links of the waiting page.
pub(crate) struct WaitingLinks {
    /// `…/login/{id}` (its own URL).
    pub base: String,
    /// The autostart / app link, when there is one.
    pub app_link: Option<String>,
}

/// The waiting page: QR code or provider link, the live message, Cancel.
pub(crate) fn waiting(login: &Login, links: &WaitingLinks) -> String {
    let lang = login.lang;
    let provider = login.provider;
    let title = format!("{} {}", T::LogInWith.get(lang), provider.label());
    let message = match &*login.status.borrow() {
        Status::Pending(m) => m.clone(),
        _ => String::new(),
    };
    let mut body = format!(
        "<h1>{}</h1>\n<p id=\"status\" class=\"status\" role=\"status\" aria-live=\"polite\">{}</p>\n",
        esc(&title),
        esc(&message)
    );
    match &login.view {
        View::BankIdSe { qr, .. } => {
            let qr = qr.qr();
            let seconds = qr.elapsed_seconds();
            body.push_str(&format!(
                "<div id=\"qr\" class=\"qr\" role=\"img\" aria-label=\"{}\" data-frame=\"{}\">{}</div>\n<p>{}</p>\n",
                esc(T::QrLabel.get(lang)),
                seconds,
                svg_of(&qr.payload_at(seconds)),
                esc(T::ScanBankId.get(lang)),
            ));
            if let Some(link) = &links.app_link {
                body.push_str(&format!(
                    "<a id=\"autostart\" class=\"button secondary\" href=\"{}\">{}</a>\n",
                    esc(link),
                    esc(T::OpenBankId.get(lang))
                ));
            }
        }
        View::Freja { qr_svg, .. } => {
            if let Some(svg) = qr_svg {
                body.push_str(&format!(
                    "<div id=\"qr\" class=\"qr\" role=\"img\" aria-label=\"{}\">{}</div>\n",
                    esc(T::QrLabel.get(lang)),
                    svg
                ));
            }
            body.push_str(&format!("<p>{}</p>\n", esc(T::ScanFreja.get(lang))));
            if let Some(link) = &links.app_link {
                body.push_str(&format!(
                    "<a id=\"applink\" class=\"button secondary\" href=\"{}\">{}</a>\n",
                    esc(link),
                    esc(T::OpenFreja.get(lang))
                ));
            }
        }
        View::Redirect {
            url,
            binding_message,
        } => {
            if let Some(message) = binding_message {
                body.push_str(&format!(
                    "<p>{}: <span class=\"binding\">{}</span></p>\n",
                    esc(T::BindingMessage.get(lang)),
                    esc(message)
                ));
            }
            body.push_str(&format!("<p>{}</p>\n", esc(T::RedirectHelp.get(lang))));
            if let Some(url) = url {
                body.push_str(&format!(
                    "<a id=\"provider-link\" class=\"button\" href=\"{}\">{} {}</a>\n",
                    esc(url),
                    esc(T::GoTo.get(lang)),
                    esc(provider.label())
                ));
            }
        }
    }
    body.push_str(&format!(
        r#"<form method="post" action="{base}/cancel"><button type="submit" id="cancel" class="secondary">{cancel}</button></form>
<noscript><p class="note">{noscript}</p></noscript>
<script>
(function () {{
  var qr = document.getElementById("qr"), status = document.getElementById("status");
  var events = new EventSource({events});
  events.addEventListener("qr", function (e) {{
    if (qr) {{ qr.innerHTML = e.data; qr.setAttribute("data-frame", e.lastEventId); }}
  }});
  events.addEventListener("status", function (e) {{ status.textContent = e.data; }});
  events.addEventListener("done", function (e) {{ events.close(); window.location.replace(e.data); }});
  // A stream the server refused (too many open) is not retried by the
  // browser: reload in a moment instead.
  events.onerror = function () {{
    if (events.readyState === EventSource.CLOSED) {{ setTimeout(function () {{ window.location.reload(); }}, 3000); }}
  }};
  var autostart = document.getElementById("autostart");
  if (autostart && navigator.sendBeacon) {{
    autostart.addEventListener("click", function () {{ navigator.sendBeacon({launched}); }});
  }}
}})();
</script>
"#,
        base = esc(&links.base),
        cancel = esc(T::Cancel.get(lang)),
        noscript = esc(T::NoScript.get(lang)),
        events = js_string(&format!("{}/events", links.base)),
        launched = js_string(&format!("{}/autostart", links.base)),
    ));
    // Without JavaScript the page reloads itself (and the server redirects
    // to the result once there is one).
    let head = "<noscript><meta http-equiv=\"refresh\" content=\"2\"></noscript>\n";
    page(lang, &title, &body, head)
}

/// A JavaScript string literal that cannot end the script element.
fn js_string(value: &str) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "\"\"".to_string())
        .replace("</", "<\\/")
}

/// The result page: the person's name, or what went wrong.
pub(crate) fn result(login: &Login, mount: &str) -> String {
    let lang = login.lang;
    let again = format!("{}?lang={}", home(mount), lang.code());
    let status = login.status.borrow().clone();
    let (title, body) = match status {
        Status::Completed(person) => {
            let title = format!("{}, {}", T::Welcome.get(lang), person.name.expose());
            let body = format!(
                r#"<h1 id="result" data-outcome="completed">{}</h1>
<p class="status ok">{} {}.</p>
<a class="button secondary" href="{}">{}</a>
"#,
                esc(&title),
                esc(T::LoggedInWith.get(lang)),
                esc(person.provider.label()),
                esc(&again),
                esc(T::LogInAgain.get(lang)),
            );
            (title, body)
        }
        Status::Ended(failure) => {
            let (outcome, title, message) = match failure {
                Failure::Cancelled(m) => ("cancelled", T::CancelledTitle, m),
                Failure::TimedOut(m) => ("timeout", T::TimedOutTitle, m),
                Failure::Failed(m) => ("failed", T::FailedTitle, m),
            };
            let title = title.get(lang).to_string();
            let body = format!(
                r#"<h1 id="result" data-outcome="{}">{}</h1>
<p id="message" class="status bad" role="alert">{}</p>
<a class="button" href="{}">{}</a>
"#,
                outcome,
                esc(&title),
                esc(&message),
                esc(&again),
                esc(T::TryAgain.get(lang)),
            );
            (title, body)
        }
        Status::Pending(_) => {
            let title = T::Waiting.get(lang).to_string();
            let body = format!("<h1>{}</h1>", esc(&title));
            (title, body)
        }
    };
    page(lang, &title, &body, "")
}

/// A page for an error before or outside a login (start refused, unknown login).
pub(crate) fn problem(lang: Lang, title: T, message: &str, mount: &str) -> String {
    let body = format!(
        r#"<h1 id="result" data-outcome="error">{}</h1>
<p id="message" class="status bad" role="alert">{}</p>
<a class="button" href="{}?lang={}">{}</a>
"#,
        esc(title.get(lang)),
        esc(message),
        esc(&home(mount)),
        lang.code(),
        esc(T::TryAgain.get(lang)),
    );
    page(lang, title.get(lang), &body, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_scripts() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
        );
        assert_eq!(js_string("/a</script>"), "\"/a<\\/script>\"");
    }

    #[test]
    fn qr_svg_is_ready_to_inline() {
        let svg = svg_of("hello");
        assert!(svg.starts_with("<svg"), "{svg}");
    }

    #[test]
    fn start_page_lists_the_providers_and_escapes_choices() {
        let options = Options {
            test_identities: vec![super::super::TestChoice {
                label: "<b>x</b>".into(),
                ref_id: "sim:complete".into(),
            }],
            ..Options::default()
        };
        let html = start(&options, Lang::En, "/login", "token");
        for p in crate::PAGE_ORDER {
            assert!(
                html.contains(&format!("value=\"{}\"", p.segment())),
                "{}",
                p.segment()
            );
        }
        assert!(html.contains("action=\"/login/start\""));
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;"));
        assert!(!html.contains("<b>x</b>"));
        assert!(html.contains("<html lang=\"en\">"));
    }
}
