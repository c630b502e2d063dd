//! The decisions guard of `cargo xtask check`: where the API document is
//! silent or stricter than the provider's clients, what we chose is recorded
//! twice, as an `x-identisure-decision` annotation in `openapi.yaml` and as
//! a row of the "Decisions" table in MAINTAINING.md. A spec refreshed from
//! upstream carries no annotations; this check then names every decision the
//! refresh dropped, instead of letting it be undone silently.

use serde_norway::Value;

use crate::repo::Repo;

/// The extension key of a decision in `openapi.yaml`.
pub const KEY: &str = "x-identisure-decision";

/// The fields every annotation carries.
const FIELDS: [&str; 4] = ["id", "document", "clients", "chosen"];

/// Runs the check, printing its result in the style of the other checks.
pub fn run(repo: &Repo, spec: &Value) -> Result<(), String> {
    println!("check: every decision is recorded in openapi.yaml and MAINTAINING.md");
    // Without MAINTAINING.md there is no table: every annotation is then
    // reported as unrecorded.
    let maintaining = repo.root().join("MAINTAINING.md");
    let table = std::fs::read_to_string(&maintaining)
        .map(|text| table(&text))
        .unwrap_or_default();
    let problems = problems(&annotations(spec), &table);
    if problems.is_empty() {
        let in_spec = table.iter().filter(|r| r.in_spec).count();
        println!(
            "  ok: {} decisions, {in_spec} of them annotated in openapi.yaml",
            table.len()
        );
        Ok(())
    } else {
        for p in &problems {
            println!("  FAILED: {p}");
        }
        println!(
            "  fix: re-apply each decision to openapi.yaml with its `{KEY}` annotation \
             (MAINTAINING.md, Decisions), or add the missing row to the table"
        );
        Err("decisions are missing".into())
    }
}

/// One annotation of the spec: its id, where it is, and its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    /// The decision id.
    pub id: String,
    /// JSON-pointer-like location, e.g. `components/schemas/Address`.
    pub at: String,
    /// Fields that are missing or empty.
    pub missing: Vec<&'static str>,
}

/// One row of MAINTAINING.md's Decisions table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The decision id (first column, in backticks).
    pub id: String,
    /// Whether the second column says it lives in `openapi.yaml`.
    pub in_spec: bool,
}

/// Every `x-identisure-decision` of a spec, in document order.
pub fn annotations(spec: &Value) -> Vec<Annotation> {
    let mut found = Vec::new();
    walk(spec, String::new(), &mut found);
    found
}

fn walk(value: &Value, at: String, found: &mut Vec<Annotation>) {
    match value {
        Value::Mapping(map) => {
            for (k, v) in map {
                let key = k.as_str().unwrap_or_default();
                if key == KEY {
                    let field = |f: &str| v.get(f).and_then(Value::as_str).unwrap_or_default();
                    found.push(Annotation {
                        id: field("id").to_string(),
                        at: at.clone(),
                        missing: FIELDS
                            .into_iter()
                            .filter(|f| field(f).trim().is_empty())
                            .collect(),
                    });
                } else {
                    let next = if at.is_empty() {
                        key.to_string()
                    } else {
                        format!("{at}/{key}")
                    };
                    walk(v, next, found);
                }
            }
        }
        Value::Sequence(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// The rows of the table under `## Decisions` (up to the next `## `).
pub fn table(maintaining: &str) -> Vec<Row> {
    maintaining
        .lines()
        .skip_while(|l| l.trim() != "## Decisions")
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .filter_map(|l| {
            let cells: Vec<&str> = l
                .trim()
                .strip_prefix('|')?
                .split('|')
                .map(str::trim)
                .collect();
            let id = cells.first()?.strip_prefix('`')?.strip_suffix('`')?;
            Some(Row {
                id: id.to_string(),
                in_spec: cells.get(1).is_some_and(|c| c.contains("openapi.yaml")),
            })
        })
        .collect()
}

/// What disagrees between the annotations and the table.
pub fn problems(annotations: &[Annotation], table: &[Row]) -> Vec<String> {
    let mut out = Vec::new();
    for a in annotations {
        if !a.missing.is_empty() {
            out.push(format!("{KEY} at {} lacks {}", a.at, a.missing.join(", ")));
        }
        if !a.id.is_empty() && !table.iter().any(|r| r.id == a.id) {
            out.push(format!(
                "decision `{}` ({}) has no row in MAINTAINING.md",
                a.id, a.at
            ));
        }
    }
    for r in table.iter().filter(|r| r.in_spec) {
        if !annotations.iter().any(|a| a.id == r.id) {
            out.push(format!(
                "decision `{}` is not in openapi.yaml (a refresh from upstream dropped it?)",
                r.id
            ));
        }
    }
    let mut ids: Vec<&str> = table.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    for w in ids.windows(2).filter(|w| w[0] == w[1]) {
        out.push(format!(
            "decision `{}` has two rows in MAINTAINING.md",
            w[0]
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "
components:
  schemas:
    Address:
      x-identisure-decision:
        id: address-shape
        document: silent
        clients: a string
        chosen: both
    Other:
      properties:
        a:
          x-identisure-decision:
            id: half-done
            document: says x
";

    const MAINTAINING: &str = "
# Maintaining
## Decisions
| decision | recorded in | document | clients | chosen |
|---|---|---|---|---|
| `address-shape` | openapi.yaml (`Address`) | silent | string | both |
| `lost-one` | openapi.yaml | x | y | z |
| `simulator-only` | the simulator | x | y | z |
## Next
| `not-a-decision` | openapi.yaml | | | |
";

    #[test]
    fn finds_annotations_anywhere_and_the_table_rows() {
        let spec: Value = serde_norway::from_str(SPEC).unwrap();
        let found = annotations(&spec);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].at, "components/schemas/Address");
        assert!(found[0].missing.is_empty());
        assert_eq!(found[1].missing, vec!["clients", "chosen"]);
        let rows = table(MAINTAINING);
        assert_eq!(
            rows.iter()
                .map(|r| (r.id.as_str(), r.in_spec))
                .collect::<Vec<_>>(),
            vec![
                ("address-shape", true),
                ("lost-one", true),
                ("simulator-only", false)
            ]
        );
    }

    #[test]
    fn a_dropped_or_unrecorded_decision_is_a_problem() {
        let spec: Value = serde_norway::from_str(SPEC).unwrap();
        let problems = problems(&annotations(&spec), &table(MAINTAINING));
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(problems[0].contains("lacks clients, chosen"));
        assert!(problems[1].contains("`half-done`") && problems[1].contains("no row"));
        assert!(problems[2].contains("`lost-one` is not in openapi.yaml"));
    }

    #[test]
    fn a_spec_without_annotations_loses_every_spec_decision() {
        let bare: Value = serde_norway::from_str("openapi: 3.0.3\npaths: {}\n").unwrap();
        let problems = problems(&annotations(&bare), &table(MAINTAINING));
        assert_eq!(problems.len(), 2, "{problems:#?}");
    }
}
