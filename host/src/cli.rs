//! The command line: global flags and one subcommand per step or lifecycle verb.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Yandex Cloud access provisioning as sandboxed, declarative infrastructure code.
#[derive(Parser, Debug)]
#[command(name = "ycprov", version, about, propagate_version = true)]
pub struct Cli {
    /// Global options.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Args, Clone)]
pub struct GlobalArgs {
    /// Send all Yandex Cloud API calls to this base URL (e.g. a local emulator).
    #[arg(long, global = true, env = "YC_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<String>,
    /// The IAM token to authenticate with.
    #[arg(
        long,
        global = true,
        env = "YC_IAM_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// A service account authorized key file (JSON, as `yc iam key create` writes it) to
    /// authenticate with; also YC_SERVICE_ACCOUNT_KEY_FILE (see `auth status`).
    #[arg(long, global = true, value_name = "FILE")]
    pub service_account_key_file: Option<PathBuf>,
    /// The `yc` CLI profile to take credentials and default ids from (default: its current one).
    #[arg(long, global = true, env = "YC_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
    /// Load this provider component instead of the embedded one.
    #[arg(long, global = true, value_name = "FILE.wasm")]
    pub provider: Option<PathBuf>,
    /// Log filter (e.g. `debug`, `ycprov=trace`); also RUST_LOG.
    #[arg(long, global = true, value_name = "FILTER")]
    pub log: Option<String>,
    /// The sandbox policy file (TOML; see the README), applied on top of the safe defaults.
    #[arg(long, global = true, env = "YCPROV_POLICY", value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Switch to this directory before doing anything (the configuration directory).
    #[arg(long, global = true, value_name = "DIR")]
    pub chdir: Option<PathBuf>,
}

impl std::fmt::Debug for GlobalArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalArgs")
            .field("endpoint", &self.endpoint)
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("provider", &self.provider)
            .field("policy", &self.policy)
            .field("chdir", &self.chdir)
            .finish_non_exhaustive()
    }
}

/// Output format of the imperative commands.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// Human-readable text (YAML-like, as the `yc` CLI prints).
    #[default]
    Text,
    /// JSON.
    Json,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Service accounts: step 1 of setting up AI Studio access.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Folder role bindings: step 2.
    #[command(subcommand)]
    Role(RoleCommand),
    /// API keys: step 3.
    #[command(subcommand)]
    Key(KeyCommand),
    /// AI Studio access in one command: the console's one-click API key.
    #[command(subcommand, name = "ai-studio")]
    AiStudio(AiStudioCommand),
    /// Credentials: which one is in use.
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Run the three steps against a local emulator started in this process.
    Demo(DemoArgs),
    /// Check the configuration, its backend and required providers (as scripts run
    /// `terraform init` first); nothing is downloaded, the provider is embedded.
    Init(InitArgs),
    /// Check the configuration without calling the API.
    Validate(ConfigArgs),
    /// Show what apply would change.
    Plan(PlanArgs),
    /// Create, update and delete resources to match the configuration.
    Apply(ApplyArgs),
    /// Delete every resource in the state.
    Destroy(ApplyArgs),
    /// Bring an existing object under management: `import ADDR ID`.
    Import(ImportArgs),
    /// Read every resource from the cloud and update the state.
    Refresh(ConfigArgs),
    /// Show output values from the state.
    Output(OutputArgs),
    /// Inspect the state.
    #[command(subcommand)]
    State(StateCommand),
    /// Remove a stale state lock by its id.
    ForceUnlock {
        /// The lock id printed by the run that was refused.
        id: String,
        /// The state file.
        #[arg(long, default_value = "terraform.tfstate")]
        state: PathBuf,
    },
    /// Write the embedded provider component to a file (for other hosts).
    ProviderWasm {
        /// Where to write the component.
        #[arg(long, short)]
        out: PathBuf,
        /// Write the WASI build instead: the provider composed with the WASI adapter, importing
        /// only `wasi:*` (for wasmtime-wasi, jco, Wassette, Spin, wasmCloud).
        #[arg(long)]
        wasi: bool,
    },
}

/// `ycprov ai-studio …`
#[derive(Subcommand, Debug)]
pub enum AiStudioCommand {
    /// Subcommands for AI Studio API keys.
    #[command(subcommand)]
    Key(AiStudioKeyCommand),
}

/// `ycprov ai-studio key …`
#[derive(Subcommand, Debug)]
pub enum AiStudioKeyCommand {
    /// Create a service account with the AI Studio roles (one batched binding update) and
    /// an API key with the AI Studio scopes; prints the key id and its secret once.
    Create(AiStudioKeyArgs),
}

/// The arguments of `ycprov ai-studio key create`.
#[derive(Args, Debug)]
pub struct AiStudioKeyArgs {
    /// The folder (default: YC_FOLDER_ID or the yc profile's folder).
    #[arg(long)]
    pub folder_id: Option<String>,
    /// The service account's name (default: ai-studio-<random>). A rerun with the same
    /// name completes an earlier run that failed part-way instead of starting anew.
    #[arg(long)]
    pub name: Option<String>,
    /// Reuse this service account instead of creating one.
    #[arg(long, conflicts_with = "name")]
    pub service_account_id: Option<String>,
    /// A description of the account and the key.
    #[arg(long)]
    pub description: Option<String>,
    /// The key expires after this long: e.g. 90d, 12h, 30m, 2w.
    #[arg(long, value_name = "DURATION", conflicts_with = "expires_at")]
    pub expires_in: Option<String>,
    /// The key expires at this time (RFC3339, e.g. 2027-01-01T00:00:00Z).
    #[arg(long, value_name = "RFC3339")]
    pub expires_at: Option<String>,
    /// Which roles and scopes: `all-services` (the console's one-click key) or
    /// `language-models` (least privilege for text generation).
    #[arg(long, default_value = "all-services")]
    pub preset: String,
    /// A folder role instead of the preset's (repeatable).
    #[arg(long = "role", value_name = "ROLE")]
    pub roles: Vec<String>,
    /// A key scope instead of the preset's (repeatable).
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// How to print the result: text, json, or env (`YC_API_KEY=…` lines).
    #[arg(long, value_enum, default_value_t)]
    pub format: KeyFormat,
    /// Write the result (with the secret) to this new file, mode 0600, instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// The shapes `ai-studio key create` prints its result in.
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeyFormat {
    /// `name: value` lines.
    #[default]
    Text,
    /// One JSON object.
    Json,
    /// Environment variables for AI Studio clients (`YC_API_KEY`, `YC_FOLDER_ID`, …).
    Env,
}

/// `ycprov account …`
#[derive(Subcommand, Debug)]
pub enum AccountCommand {
    /// Create a service account in a folder.
    Create {
        /// The folder to create it in.
        #[arg(long, env = "YC_FOLDER_ID")]
        folder_id: String,
        /// Its name (3-63 characters: lower-case letters, digits, hyphens).
        #[arg(long)]
        name: String,
        /// A description.
        #[arg(long)]
        description: Option<String>,
        /// A label `key=value` (repeatable).
        #[arg(long = "label", value_name = "KEY=VALUE")]
        labels: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// List the service accounts of a folder.
    List {
        /// The folder.
        #[arg(long, env = "YC_FOLDER_ID")]
        folder_id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Show one service account, by id or by `--name` within a folder.
    Get {
        /// The account id.
        #[arg(required_unless_present = "name")]
        id: Option<String>,
        /// Find it by name instead (needs --folder-id).
        #[arg(long, requires = "folder_id")]
        name: Option<String>,
        /// The folder, with --name.
        #[arg(long, env = "YC_FOLDER_ID")]
        folder_id: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Delete a service account (its API keys go with it).
    Delete {
        /// The account id.
        id: String,
    },
}

/// `ycprov role …`
#[derive(Subcommand, Debug)]
pub enum RoleCommand {
    /// Grant a folder role to a subject.
    Bind(BindingArgs),
    /// Revoke a folder role from a subject.
    Unbind(BindingArgs),
    /// List the access bindings of a folder.
    List {
        /// The folder.
        #[arg(long, env = "YC_FOLDER_ID")]
        folder_id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

/// Which role, on which folder, for whom.
#[derive(Args, Debug)]
pub struct BindingArgs {
    /// The folder.
    #[arg(long, env = "YC_FOLDER_ID")]
    pub folder_id: String,
    /// The role, e.g. `ai.languageModels.user`.
    #[arg(long)]
    pub role: String,
    /// A service account subject.
    #[arg(long, conflicts_with = "subject", required_unless_present = "subject")]
    pub service_account_id: Option<String>,
    /// Any subject as `TYPE:ID` (e.g. `userAccount:aje…`, `system:allAuthenticatedUsers`).
    #[arg(long)]
    pub subject: Option<String>,
}

/// `ycprov key …`
#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Create an API key; prints its secret once.
    Create {
        /// The owning service account.
        #[arg(long)]
        service_account_id: String,
        /// A scope (repeatable), e.g. `yc.ai.languageModels.execute`.
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<String>,
        /// When the key expires (RFC3339, e.g. 2027-01-01T00:00:00Z).
        #[arg(long, value_name = "RFC3339")]
        expires_at: Option<String>,
        /// A description.
        #[arg(long)]
        description: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// List the API keys of a service account.
    List {
        /// The service account.
        #[arg(long)]
        service_account_id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Show one API key (never its secret).
    Get {
        /// The key id.
        id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Delete (revoke) an API key.
    Delete {
        /// The key id.
        id: String,
    },
}

/// `ycprov auth …`
#[derive(Subcommand, Debug)]
pub enum AuthCommand {
    /// Show which credential is used, whose it is and until when its token is valid
    /// (never the token). Exits 6 when no token can be had.
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

/// `ycprov demo`
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// The service account name.
    #[arg(long, default_value = "sa-api")]
    pub name: String,
    /// The role to grant.
    #[arg(long, default_value = "ai.languageModels.user")]
    pub role: String,
    /// The key scope.
    #[arg(long, default_value = "yc.ai.languageModels.execute")]
    pub scope: String,
}

/// Where the configuration and state are, and the values of its variables.
#[derive(Args, Debug, Clone)]
pub struct ConfigArgs {
    /// The state file.
    #[arg(long, default_value = "terraform.tfstate")]
    pub state: PathBuf,
    /// Set a variable: `-var 'name=value'` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variables from a `.tfvars` or `.tfvars.json` file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Run against a local Yandex Cloud emulator kept under `.ycprov/` next to the state.
    #[arg(long)]
    pub local: bool,
    /// Machine-readable JSON output.
    #[arg(long)]
    pub json: bool,
    /// Don't take the state lock (dangerous).
    #[arg(long = "lock", default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub lock: bool,
    /// Limit the walk to these resource addresses and their dependencies (repeatable).
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,
    /// Replace this object although nothing changed, e.g. to get a new API key secret
    /// (repeatable; plan and apply).
    #[arg(long = "replace", value_name = "ADDR")]
    pub replace: Vec<String>,
    /// Number of concurrent resource operations.
    #[arg(long, default_value_t = 10)]
    pub parallelism: usize,
    /// Read the cloud before planning.
    #[arg(long = "refresh", default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub refresh: bool,
    /// Only read the cloud: show (plan) or record in the state (apply) what changed outside
    /// ycprov, without changing any remote object.
    #[arg(long)]
    pub refresh_only: bool,
    /// Accepted as Terraform's scripts pass it: ycprov prints no colour codes.
    #[arg(long)]
    pub no_color: bool,
    /// Ask for input: Terraform's scripts pass `-input=false`; ycprov asks only to
    /// confirm an apply, and never when there is no terminal.
    #[arg(long = "input", default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub input: bool,
    /// Accepted as Terraform's scripts pass it (`-lock-timeout=0s`): ycprov takes the
    /// state lock at once or reports who holds it.
    #[arg(long, value_name = "DURATION")]
    pub lock_timeout: Option<String>,
    /// Accepted as Terraform's scripts pass it: warnings are printed in full.
    #[arg(long)]
    pub compact_warnings: bool,
}

/// `ycprov init`: Terraform's flags are accepted; there is nothing they change here.
#[derive(Args, Debug)]
pub struct InitArgs {
    /// Common options.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Upgrade providers (the embedded one is always current).
    #[arg(long)]
    pub upgrade: bool,
    /// Take the backend configuration as it is now, without moving any state.
    #[arg(long)]
    pub reconfigure: bool,
    /// Copy the state from the backend configured before (recorded by the last init) to
    /// the one configured now: local file → bucket or bucket → local file.
    #[arg(long)]
    pub migrate_state: bool,
    /// With -migrate-state: replace a different state already in the new backend.
    #[arg(long)]
    pub force_copy: bool,
    /// Initialize the backend: read its state (checking the credentials) and record it;
    /// `-backend=false` skips this.
    #[arg(long = "backend", default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub backend: bool,
}

/// `ycprov plan`
#[derive(Args, Debug)]
pub struct PlanArgs {
    /// Common options.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Exit 0 when there are no changes, 2 when there are, 1 on errors.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Save the plan to this file, to apply exactly it later.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Plan to destroy everything.
    #[arg(long)]
    pub destroy: bool,
}

/// `ycprov apply` and `ycprov destroy`
#[derive(Args, Debug)]
pub struct ApplyArgs {
    /// Common options.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Skip the interactive "yes" confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// A plan saved with `plan -out FILE` to apply exactly.
    pub plan_file: Option<PathBuf>,
}

/// `ycprov import ADDR ID`
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Common options.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The resource address in the configuration, e.g. `yandex_iam_service_account.sa`.
    pub address: String,
    /// The provider's id of the existing object.
    pub id: String,
}

/// `ycprov output [NAME]`
#[derive(Args, Debug)]
pub struct OutputArgs {
    /// The state file.
    #[arg(long, default_value = "terraform.tfstate")]
    pub state: PathBuf,
    /// Print the raw value of a string output, sensitive or not.
    #[arg(long)]
    pub raw: bool,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
    /// The output to show (all when omitted).
    pub name: Option<String>,
}

/// `ycprov state …`
#[derive(Subcommand, Debug)]
pub enum StateCommand {
    /// List the resource addresses in the state.
    List {
        /// The state file.
        #[arg(long, default_value = "terraform.tfstate")]
        state: PathBuf,
    },
    /// Print the current state as JSON (with secrets: keep it private).
    Pull {
        /// The state file.
        #[arg(long, default_value = "terraform.tfstate")]
        state: PathBuf,
    },
    /// Replace the state with the one in FILE (refused for another lineage or an older
    /// serial unless -force).
    Push {
        /// The state file.
        #[arg(long, default_value = "terraform.tfstate")]
        state: PathBuf,
        /// Replace the state even if its lineage differs or its serial is newer.
        #[arg(long)]
        force: bool,
        /// The state to push.
        file: PathBuf,
    },
    /// Show one resource's attributes.
    Show {
        /// The state file.
        #[arg(long, default_value = "terraform.tfstate")]
        state: PathBuf,
        /// Show sensitive values (such as an API key secret) instead of hiding them.
        #[arg(long)]
        show_sensitive: bool,
        /// The resource address.
        address: String,
    },
}

/// Rewrites Terraform-style single-dash long flags (`-auto-approve`, `-var=x`) to
/// the double-dash form clap parses; single-letter flags and values are kept.
pub fn normalize_args(args: impl IntoIterator<Item = String>) -> Vec<String> {
    args.into_iter()
        .enumerate()
        .map(|(i, arg)| {
            let is_single_dash_long = i > 0
                && arg.len() > 2
                && arg.starts_with('-')
                && !arg.starts_with("--")
                && arg.as_bytes()[1].is_ascii_lowercase()
                && arg[1..].split('=').next().is_some_and(|name| {
                    name.len() > 1 && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
                });
            if is_single_dash_long {
                format!("-{arg}")
            } else {
                arg
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::normalize_args;

    #[test]
    fn accepts_terraform_style_flags() {
        let args = [
            "ycprov",
            "-chdir=dir",
            "apply",
            "-auto-approve",
            "-var",
            "a=-1",
            "-o",
            "--json",
            "-1",
        ];
        let normalized = normalize_args(args.iter().map(|s| s.to_string()));
        assert_eq!(
            normalized,
            [
                "ycprov",
                "--chdir=dir",
                "apply",
                "--auto-approve",
                "--var",
                "a=-1",
                "-o",
                "--json",
                "-1"
            ]
        );
    }
}
