//! Maintainer tasks for the `identisure` crate, run as `cargo xtask <task>`.
//!
//! The commands (`refresh-spec`, `check`, `codegen`) arrive with their own issue;
//! until then this only lists what exists.

fn main() {
    let task = std::env::args().nth(1);
    match task.as_deref() {
        None | Some("help") | Some("--help") => {
            println!("usage: cargo xtask <task>\n\nno tasks yet: see MAINTAINING.md");
        }
        Some(other) => {
            eprintln!("unknown task `{other}`; run `cargo xtask help`");
            std::process::exit(2);
        }
    }
}
