//! `cargo xtask refresh-spec`: fetch, check, normalise, compare, write,
//! report, regenerate.

use crate::check;
use crate::codegen;
use crate::diff;
use crate::lint;
use crate::model;
use crate::normalize;
use crate::repo::Repo;
use crate::report;
use crate::spec;

/// What `refresh-spec` was asked to do.
pub struct Options {
    /// URL or file; the configured upstream URL when `None`.
    pub from: Option<String>,
    /// Whether to run build.rs on the new spec afterwards.
    pub regenerate: bool,
}

/// Refreshes `openapi.yaml`. The change report goes to stdout (and nothing
/// else does); progress and the regeneration summary go to stderr.
pub fn run(repo: &Repo, opts: &Options) -> Result<(), String> {
    let source = match (&opts.from, spec::UPSTREAM_SPEC_URL) {
        (Some(from), _) => from.clone(),
        (None, Some(url)) => url.to_string(),
        (None, None) => {
            return Err(
                "no upstream spec URL is configured yet (UPSTREAM_SPEC_URL in xtask/src/spec.rs): \
                 pass --from <URL|FILE>"
                    .into(),
            );
        }
    };
    eprintln!("refresh-spec: reading {source}");
    let text = spec::fetch(&source)?;
    let fetched = spec::parse(&text).map_err(|e| format!("{source}: {e}"))?;
    let new = normalize::normalize(&fetched);
    spec::validate(&new).map_err(|e| format!("{source}: {e}"))?;
    let new_text = normalize::to_yaml(&new)?;

    let path = repo.spec();
    let old = match std::fs::read_to_string(&path) {
        Ok(old_text) => {
            let doc = spec::parse(&old_text).map_err(|e| {
                format!(
                    "the current {} cannot be read ({e}); fix or remove it first",
                    path.display()
                )
            })?;
            Some((old_text, normalize::normalize(&doc)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let old_doc = old
        .as_ref()
        .map(|(_, d)| d.clone())
        .unwrap_or(serde_norway::Value::Mapping(Default::default()));
    let changes = diff::diff(&old_doc, &new);

    if old.as_ref().map(|(t, _)| t.as_str()) != Some(new_text.as_str()) {
        std::fs::write(&path, &new_text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("refresh-spec: wrote {}", path.display());
    } else {
        eprintln!("refresh-spec: {} is unchanged", path.display());
    }
    print!(
        "{}",
        report::render(
            &changes,
            &lost(&old_doc, &new),
            repo.crate_version().as_deref()
        )
    );
    // Our decisions live in annotations upstream does not have: name every
    // one the new spec lost (stderr, beside the regeneration summary).
    let kept: Vec<String> = crate::check::decisions::annotations(&new)
        .into_iter()
        .map(|a| a.id)
        .collect();
    for lost in crate::check::decisions::annotations(&old_doc)
        .into_iter()
        .filter(|a| !kept.contains(&a.id))
    {
        eprintln!(
            "refresh-spec: DECISION LOST: `{}` was at {}; re-apply it (MAINTAINING.md, \
             Decisions) or `cargo xtask check` fails",
            lost.id, lost.at
        );
    }

    if !opts.regenerate {
        eprintln!("refresh-spec: not regenerating (--no-regenerate); run `cargo xtask check`");
        return Ok(());
    }
    regenerate(repo, &new)
}

/// What the hand-written layer can no longer do under the new spec, read
/// from the operation tables of both (`build/model.rs`, as build.rs makes
/// them): a flow that can no longer be started, a family of sessions that
/// can no longer be cancelled. A spec the table cannot be made of (another
/// API, a spec the lint refuses) loses nothing here.
pub fn lost(old: &serde_norway::Value, new: &serde_norway::Value) -> Vec<String> {
    let table = |doc: &serde_norway::Value| {
        spec::validate(doc)
            .map(|s| model::table(&s, lint::OURS.providers).0)
            .unwrap_or_default()
    };
    let (old, new) = (table(old), table(new));
    let named =
        |f: &model::Flow, what: &str| format!("{} {}", f.provider.segment, what.replace('_', " "));
    let mut out = Vec::new();
    for f in old
        .flows
        .iter()
        .filter(|f| !new.flows.iter().any(|n| n.start == f.start))
    {
        out.push(format!(
            "{} can no longer be started (`{}` is gone)",
            named(f, &f.name),
            f.start
        ));
    }
    for f in &old.flows {
        let Some(cancel) = &f.cancel else { continue };
        let mut family = new
            .flows
            .iter()
            .filter(|n| n.provider == f.provider && n.family == f.family)
            .peekable();
        if family.peek().is_some() && family.all(|n| n.cancel.is_none()) {
            let line = format!(
                "{} sessions can no longer be cancelled (`{cancel}` is gone): Session::cancel \
                 answers Error::CancelUnsupported and sends nothing, the simulator has no route \
                 for it, `identisure cancel` exits 2",
                named(f, &f.family)
            );
            if !out.contains(&line) {
                out.push(line);
            }
        }
    }
    out
}

/// Runs build.rs on the new spec and tells what the generated surface now
/// looks like against the committed snapshot.
fn regenerate(repo: &Repo, doc: &serde_norway::Value) -> Result<(), String> {
    eprintln!("refresh-spec: linting the spec and regenerating (cargo build of the crate)…");
    let g =
        codegen::generate(repo.root()).map_err(|e| format!("openapi.yaml was written, but {e}"))?;
    let problems = check::coverage(doc, &g);
    for p in &problems {
        eprintln!("refresh-spec: NOT GENERATED: {p}");
    }
    for (id, why) in &g.pruned {
        eprintln!("refresh-spec: pruned by build.rs: {id}: {why}");
    }
    match check::compare_snapshot(&repo.snapshot("surface"), &g.surface, usize::MAX) {
        Ok(()) => eprintln!("refresh-spec: the generated surface is unchanged"),
        Err(diff) => eprintln!(
            "refresh-spec: the generated surface changed — review with \
             `cargo insta test -p identisure --test surface --review`:\n{diff}"
        ),
    }
    if !g.crate_errors.is_empty() {
        eprintln!(
            "refresh-spec: the hand-written layer no longer compiles against the new code; adapt it:\n{}",
            g.crate_errors
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} operation(s) of the new spec are neither generated nor pruned",
            problems.len()
        ))
    }
}
