//! Print what the plan importer understood of a file: `cargo run -p lantern-core --example plan_tree FILE`.
fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: plan_tree FILE");
        std::process::exit(2);
    };
    match lantern_core::plans::read_plan(path.as_ref(), None, &Default::default()) {
        Ok(p) => {
            print!("{}", p.plan.tree());
            for w in p.warnings {
                eprintln!("warning: {w}");
            }
        }
        Err(e) => {
            eprintln!("{e}");
            if let lantern_core::import::ImportError::Invalid(list) = e {
                for p in list {
                    eprintln!("{p}");
                }
            }
            std::process::exit(1);
        }
    }
}
