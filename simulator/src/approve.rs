//! The approval page: where a person approves or cancels a session in a
//! browser (the `url` of redirect flows; for QR flows open
//! `/sim/approve/{id}` yourself). Self-contained HTML, no external assets.

use super::flows::{Family, Provider};
use super::store::{Session, State};
use html_escape::encode_quoted_attribute as esc;

fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #f4f5f7; margin: 0; }}
main {{ max-width: 28rem; margin: 3rem auto; background: #fff; padding: 2rem; border-radius: 12px;
       box-shadow: 0 2px 12px rgba(0,0,0,.08); }}
h1 {{ font-size: 1.3rem; margin-top: 0; }}
.note {{ color: #666; font-size: .85rem; }}
.text {{ white-space: pre-wrap; background: #f4f5f7; padding: .75rem; border-radius: 8px; }}
form {{ display: inline; }}
button {{ font-size: 1rem; padding: .6rem 1.4rem; border-radius: 8px; border: 0; margin: .5rem .5rem 0 0; cursor: pointer; }}
.approve {{ background: #1a7f37; color: #fff; }}
.cancel {{ background: #ddd; }}
</style>
</head>
<body><main>
{body}
<p class="note">Identisure simulator: no real identity is involved.</p>
</main></body>
</html>
"#,
        title = esc(title),
    )
}

/// The page for a session: buttons while pending, the outcome after.
pub(crate) fn render(s: &Session, base_path: &str) -> String {
    let provider = s.provider().name();
    let what = match s.family() {
        Family::Auth => "log in".to_string(),
        Family::Sign => "sign".to_string(),
        Family::AgeVerification => format!(
            "verify that your age is between {} and {}",
            s.params.min_age.unwrap_or(1),
            s.params.max_age.unwrap_or(u64::MAX)
        ),
    };
    let title = format!("{provider}: {what}");
    if !s.is_pending() {
        let outcome = match &s.state {
            State::Completed { .. } => "completed".to_string(),
            State::Failed { code, .. } => format!("failed ({code})"),
            State::Pending => unreachable!("checked above"),
        };
        return page(
            &title,
            &format!(
                "<h1>{}</h1><p>This session has {}. You can close this window.</p>",
                esc(&title),
                esc(&outcome)
            ),
        );
    }
    let mut body = format!(
        "<h1>{}</h1><p>You are <strong>{}</strong>.</p>",
        esc(&title),
        esc(&s.person.name())
    );
    if let Some(text) = &s.params.sign_text {
        body.push_str(&format!(
            "<p>Text to sign:</p><div class=\"text\">{}</div>",
            esc(text)
        ));
    }
    if !s.documents.is_empty() {
        body.push_str(&format!(
            "<p>{} document(s) to sign.</p>",
            s.documents.len()
        ));
    }
    let binding = match s.provider() {
        Provider::BankIdNo => Some(&s.tokens.binding_message),
        _ => s.params.binding_message.as_ref(),
    };
    if let Some(message) = binding {
        body.push_str(&format!(
            "<p>Code shown in the app: <strong>{}</strong></p>",
            esc(message)
        ));
    }
    body.push_str(&format!(
        r#"<form method="post" action="{p}"><input type="hidden" name="action" value="approve"><button class="approve" type="submit">Approve</button></form><form method="post" action="{p}"><input type="hidden" name="action" value="cancel"><button class="cancel" type="submit">Cancel</button></form>"#,
        p = esc(base_path)
    ));
    page(&title, &body)
}
