//! Golden files of the human plan output. Regenerate with
//! `YCPROV_UPDATE_GOLDEN=1 cargo test -p ycprov-engine --test all golden`.

use serde_json::json;
use ycprov_engine::commands::Options;
use ycprov_engine::config::VarSource;

use super::*;

fn check(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/all/golden")
        .join(format!("{name}.txt"));
    if std::env::var_os("YCPROV_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {}; run with YCPROV_UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert_eq!(
        actual, expected,
        "golden {name} differs; run with YCPROV_UPDATE_GOLDEN=1 to accept"
    );
}

fn plan_out(ws: &Workspace, opts: &Options) -> String {
    let r = ws.run_opts(opts, "plan");
    assert_eq!(r.code, 0, "{}", r.err);
    r.out
}

#[test]
fn golden_plans() {
    let ws = Workspace::new(AI_STUDIO);
    check("create", &plan_out(&ws, &ws.opts()));
    ws.apply_ok();
    check("no_changes", &plan_out(&ws, &ws.opts()));

    ws.write(
        "main.tf",
        &AI_STUDIO
            .replace(
                "\"AI Studio access\"",
                "\"AI Studio access (team)\"\n  labels      = { team = \"ml\", env = \"prod\" }",
            )
            .replace(
                "[\"yc.ai.foundationModels.execute\"]",
                "[\"yc.ai.foundationModels.execute\", \"yc.ai.languageModels.execute\"]",
            ),
    );
    check("update", &plan_out(&ws, &ws.opts()));

    ws.write("main.tf", AI_STUDIO);
    let other_folder = Options {
        vars: vec![VarSource::parse_flag("folder_id=b1gother").unwrap()],
        ..ws.opts()
    };
    check("replace", &plan_out(&ws, &other_folder));

    ws.provider
        .set_outside(SA, "aje0001", "description", json!("edited in console"));
    check("drift", &plan_out(&ws, &ws.opts()));

    check(
        "destroy",
        &plan_out(
            &ws,
            &Options {
                destroy: true,
                ..ws.opts()
            },
        ),
    );
}
