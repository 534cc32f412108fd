//! The additive member types on a cloud and on a service account, through the real binary
//! against the emulator: create, no-op, import, replace, destroy, and other bindings left
//! alone.

use crate::support::{Cloud, Workspace};

fn config(role: &str) -> String {
    format!(
        r#"
data "yandex_resourcemanager_cloud" "this" {{
  name = "emulated-cloud"
}}

resource "yandex_iam_service_account" "robot" {{
  name = "robot-members"
}}

resource "yandex_iam_service_account" "runner" {{
  name = "runner-members"
}}

resource "yandex_resourcemanager_cloud_iam_member" "viewer" {{
  cloud_id = data.yandex_resourcemanager_cloud.this.id
  role     = "{role}"
  member   = "serviceAccount:${{yandex_iam_service_account.robot.id}}"
}}

resource "yandex_iam_service_account_iam_member" "user" {{
  service_account_id = yandex_iam_service_account.robot.id
  role               = "iam.serviceAccounts.user"
  member             = "serviceAccount:${{yandex_iam_service_account.runner.id}}"
}}
"#
    )
}

fn cloud_roles(cloud: &Cloud, subject: &str) -> Vec<String> {
    cloud
        .emulator
        .snapshot()
        .cloud_bindings
        .into_iter()
        .filter(|b| b.subject_id == subject)
        .map(|b| b.role_id)
        .collect()
}

#[test]
fn cloud_and_service_account_members_are_granted_imported_and_revoked() {
    let cloud = Cloud::start();
    let cloud_id = cloud.emulator.seed().cloud_id.clone();
    let admin = cloud.emulator.seed().admin_user_id.clone();
    let ws = Workspace::new(&config("viewer"));
    let before = cloud.emulator.snapshot().cloud_bindings;

    ws.run(&cloud, &["apply", "-auto-approve"]).ok();
    let robot = ws.attribute("yandex_iam_service_account.robot", "id");
    let robot = robot.as_str().unwrap();
    let runner = ws.attribute("yandex_iam_service_account.runner", "id");
    let runner = runner.as_str().unwrap();
    assert_eq!(cloud_roles(&cloud, robot), ["viewer"]);
    let on_account = cloud.emulator.snapshot().service_account_bindings[robot].clone();
    assert_eq!(on_account.len(), 1);
    assert_eq!(on_account[0].role_id, "iam.serviceAccounts.user");
    assert_eq!(on_account[0].subject_id, runner);
    assert_eq!(
        ws.attribute("yandex_resourcemanager_cloud_iam_member.viewer", "id"),
        format!("{cloud_id}/viewer/serviceAccount:{robot}")
    );
    assert!(
        cloud_roles(&cloud, &admin).contains(&"admin".to_string()),
        "other bindings of the cloud stay"
    );

    let again = ws.run(&cloud, &["plan", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);

    let adopted = Workspace::new(&format!(
        r#"
resource "yandex_resourcemanager_cloud_iam_member" "viewer" {{
  cloud_id = "{cloud_id}"
  role     = "viewer"
  member   = "serviceAccount:{robot}"
}}

resource "yandex_iam_service_account_iam_member" "user" {{
  service_account_id = "{robot}"
  role               = "iam.serviceAccounts.user"
  member             = "serviceAccount:{runner}"
}}
"#
    ));
    adopted
        .run(
            &cloud,
            &[
                "import",
                "yandex_resourcemanager_cloud_iam_member.viewer",
                &format!("{cloud_id},viewer,serviceAccount:{robot}"),
            ],
        )
        .ok();
    adopted
        .run(
            &cloud,
            &[
                "import",
                "yandex_iam_service_account_iam_member.user",
                &format!("{robot} iam.serviceAccounts.user serviceAccount:{runner}"),
            ],
        )
        .ok();
    let imported = adopted.run(&cloud, &["plan", "-detailed-exitcode"]);
    assert_eq!(imported.code, 0, "{}{}", imported.stdout, imported.stderr);

    let missing = Workspace::new(
        "resource \"yandex_resourcemanager_cloud_iam_member\" \"viewer\" {\n  cloud_id = \"x\"\n  role     = \"editor\"\n  member   = \"system:allUsers\"\n}\n",
    )
    .run(
        &cloud,
        &[
            "import",
            "yandex_resourcemanager_cloud_iam_member.viewer",
            &format!("{cloud_id},editor,serviceAccount:{robot}"),
        ],
    );
    assert_eq!(missing.code, 1, "{}", missing.stdout);
    assert!(
        missing
            .stderr
            .contains("Cannot import non-existent remote object"),
        "{}",
        missing.stderr
    );

    ws.write(&config("editor"));
    let replace = ws.run(&cloud, &["apply", "-auto-approve", "-no-color"]);
    assert!(
        replace.ok().contains("1 added, 0 changed, 1 destroyed"),
        "{}",
        replace.stdout
    );
    assert_eq!(cloud_roles(&cloud, robot), ["editor"]);

    ws.run(&cloud, &["destroy", "-auto-approve"]).ok();
    assert_eq!(cloud.emulator.snapshot().cloud_bindings, before);
    assert!(
        cloud
            .emulator
            .snapshot()
            .service_account_bindings
            .values()
            .all(Vec::is_empty)
    );
}

#[test]
fn member_mistakes_are_reported_before_any_call() {
    let cloud = Cloud::start();
    let ws = Workspace::new(
        r#"
resource "yandex_resourcemanager_cloud_iam_member" "bad" {
  cloud_id = "b1g-a-cloud-id-that-is-much-longer-than-fifty-characters"
  role     = "viewer"
  member   = "robot:aje1"
}
"#,
    );
    let before = cloud.emulator.stats().total_requests;
    let run = ws.run(&cloud, &["plan", "-no-color"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stderr.contains("cloud_id"), "{}", run.stderr);
    assert!(run.stderr.contains("member"), "{}", run.stderr);
    assert_eq!(cloud.emulator.stats().total_requests, before);
}

fn folder_roles(cloud: &Cloud, role: &str) -> Vec<String> {
    let folder = cloud.folder();
    let mut holders: Vec<String> = cloud.emulator.snapshot().folder_bindings[&folder]
        .iter()
        .filter(|b| b.role_id == role)
        .map(|b| b.subject_id.clone())
        .collect();
    holders.sort();
    holders
}

fn binding_config(members: &[&str]) -> String {
    let members: Vec<String> = members
        .iter()
        .map(|m| format!("\"serviceAccount:${{yandex_iam_service_account.{m}.id}}\""))
        .collect();
    format!(
        r#"
resource "yandex_iam_service_account" "a" {{
  name = "binding-a"
}}

resource "yandex_iam_service_account" "b" {{
  name = "binding-b"
}}

resource "yandex_resourcemanager_folder_iam_member" "a_viewer" {{
  folder_id = yandex_iam_service_account.a.folder_id
  role      = "viewer"
  member    = "serviceAccount:${{yandex_iam_service_account.a.id}}"
}}

resource "yandex_resourcemanager_folder_iam_binding" "users" {{
  folder_id = yandex_iam_service_account.a.folder_id
  role      = "ai.languageModels.user"
  members   = [{}]
}}

resource "yandex_iam_service_account_iam_binding" "act_as_a" {{
  service_account_id = yandex_iam_service_account.a.id
  role               = "iam.serviceAccounts.user"
  members            = ["serviceAccount:${{yandex_iam_service_account.b.id}}"]
}}
"#,
        members.join(", ")
    )
}

#[test]
fn bindings_are_authoritative_for_their_role_only() {
    let cloud = Cloud::start();
    let folder = cloud.folder();
    let outsider = cloud.create_account("outsider");
    cloud
        .ycprov(&[
            "role",
            "bind",
            "--folder-id",
            &folder,
            "--role",
            "ai.languageModels.user",
            "--service-account-id",
            &outsider,
        ])
        .ok();
    let admins = folder_roles(&cloud, "admin");

    let ws = Workspace::new(&binding_config(&["a", "b"]));
    let apply = ws.run(&cloud, &["apply", "-auto-approve", "-no-color"]);
    apply.ok();
    let a = ws.attribute("yandex_iam_service_account.a", "id");
    let b = ws.attribute("yandex_iam_service_account.b", "id");
    let (a, b) = (a.as_str().unwrap(), b.as_str().unwrap());
    let mut both = vec![a.to_string(), b.to_string()];
    both.sort();
    assert_eq!(
        folder_roles(&cloud, "ai.languageModels.user"),
        both,
        "the outsider lost the role the binding owns"
    );
    assert_eq!(
        folder_roles(&cloud, "viewer").len(),
        2,
        "viewer: the seeded user and a"
    );
    assert_eq!(
        folder_roles(&cloud, "admin"),
        admins,
        "other roles untouched"
    );
    let on_a = &cloud.emulator.snapshot().service_account_bindings[a];
    assert_eq!(on_a.len(), 1);
    assert_eq!(on_a[0].subject_id, b);
    assert_eq!(
        ws.attribute("yandex_resourcemanager_folder_iam_binding.users", "id"),
        format!("{folder}/ai.languageModels.user")
    );

    let again = ws.run(&cloud, &["plan", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);

    cloud
        .ycprov(&[
            "role",
            "bind",
            "--folder-id",
            &folder,
            "--role",
            "ai.languageModels.user",
            "--service-account-id",
            &outsider,
        ])
        .ok();
    let drift = ws.run(&cloud, &["plan", "-no-color"]);
    assert!(
        drift.ok().contains("1 to change"),
        "an outside grant of the role is drift:\n{}",
        drift.stdout
    );

    ws.write(&binding_config(&["b"]));
    let shrink = ws.run(&cloud, &["apply", "-auto-approve", "-no-color"]);
    assert!(
        shrink.ok().contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        shrink.stdout
    );
    assert_eq!(
        folder_roles(&cloud, "ai.languageModels.user"),
        [b.to_string()]
    );
    assert!(
        folder_roles(&cloud, "viewer").contains(&a.to_string()),
        "a keeps its viewer member"
    );

    let adopted = Workspace::new(&format!(
        "resource \"yandex_resourcemanager_folder_iam_binding\" \"users\" {{\n  folder_id = \"{folder}\"\n  role      = \"ai.languageModels.user\"\n  members   = [\"serviceAccount:{b}\"]\n}}\n"
    ));
    adopted
        .run(
            &cloud,
            &[
                "import",
                "yandex_resourcemanager_folder_iam_binding.users",
                &format!("{folder} ai.languageModels.user"),
            ],
        )
        .ok();
    let imported = adopted.run(&cloud, &["plan", "-detailed-exitcode"]);
    assert_eq!(imported.code, 0, "{}{}", imported.stdout, imported.stderr);

    ws.run(&cloud, &["destroy", "-auto-approve"]).ok();
    assert!(folder_roles(&cloud, "ai.languageModels.user").is_empty());
    assert_eq!(folder_roles(&cloud, "admin"), admins);
}
