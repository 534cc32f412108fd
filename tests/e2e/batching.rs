//! Batched folder IAM members through the real binary and component: members of one
//! folder that are ready together cost one `updateAccessBindings` per 1000, and a
//! refresh lists the folder's bindings once instead of once per member.

use std::path::Path;

use crate::support::{Cloud, Run, base_command};

const UPDATE: &str = "POST /resource-manager/v1/folders/{resourceId}:updateAccessBindings";
const LIST: &str = "GET /resource-manager/v1/folders/{resourceId}:listAccessBindings";

/// How many member resources the configuration declares.
const MEMBERS: usize = 300;

/// A configuration directory with its own state.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new(tf: &str) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), tf).unwrap();
        Workspace { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, cloud: &Cloud, args: &[&str]) -> Run {
        Run::of(
            base_command(Some(self.path()))
                .env("YC_ENDPOINT", cloud.emulator.base_url())
                .env("YC_IAM_TOKEN", &cloud.emulator.seed().admin_token)
                .env("YC_FOLDER_ID", cloud.folder())
                .args(args),
        )
    }
}

/// One service account granted `MEMBERS` roles, one member resource per role.
fn config(folder: &str) -> String {
    format!(
        r#"
resource "yandex_iam_service_account" "robot" {{
  name = "batch-robot"
}}

resource "yandex_resourcemanager_folder_iam_member" "role" {{
  count     = {MEMBERS}
  folder_id = "{folder}"
  role      = "batch.role${{count.index}}"
  member    = "serviceAccount:${{yandex_iam_service_account.robot.id}}"
}}
"#
    )
}

/// Requests to `endpoint` made while `step` ran.
fn requests_during(cloud: &Cloud, endpoint: &str, step: impl FnOnce()) -> u64 {
    let before = cloud.emulator.stats().count(endpoint);
    step();
    cloud.emulator.stats().count(endpoint) - before
}

fn batch_bindings(cloud: &Cloud) -> usize {
    cloud.emulator.snapshot().folder_bindings[&cloud.folder()]
        .iter()
        .filter(|binding| binding.role_id.starts_with("batch.role"))
        .count()
}

#[test]
fn members_of_one_folder_are_granted_read_and_revoked_in_batches() {
    let cloud = Cloud::start();
    let ws = Workspace::new(&config(&cloud.folder()));

    let updates = requests_during(&cloud, UPDATE, || {
        let apply = ws.run(&cloud, &["apply", "-auto-approve"]);
        assert!(
            apply
                .ok()
                .contains(&format!("Resources: {} added", MEMBERS + 1)),
            "{}",
            apply.stdout
        );
        let completed = apply
            .stdout
            .lines()
            .filter(|line| {
                line.contains("folder_iam_member.role[") && line.contains("Creation complete")
            })
            .count();
        assert_eq!(completed, MEMBERS, "one progress line per member");
    });
    assert_eq!(batch_bindings(&cloud), MEMBERS);
    assert_eq!(
        updates, 1,
        "{MEMBERS} members ready together: one update call"
    );

    let lists = requests_during(&cloud, LIST, || {
        let plan = ws.run(&cloud, &["plan", "-detailed-exitcode"]);
        assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
        assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    });
    assert!(
        (1..=5).contains(&lists),
        "a no-change plan lists the folder once (paged), made {lists} list calls"
    );

    let updates = requests_during(&cloud, UPDATE, || {
        let destroy = ws.run(&cloud, &["destroy", "-auto-approve"]);
        assert!(
            destroy
                .ok()
                .contains(&format!("Resources: {} destroyed", MEMBERS + 1)),
            "{}",
            destroy.stdout
        );
    });
    assert_eq!(batch_bindings(&cloud), 0);
    assert_eq!(
        updates, 1,
        "{MEMBERS} members destroyed together: one update call"
    );
}
