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
#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Send all Yandex Cloud API calls to this base URL (e.g. a local emulator).
    #[arg(long, global = true, env = "YC_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<String>,
    /// The IAM token to authenticate with.
    #[arg(long, global = true, env = "YC_IAM_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Load this provider component instead of the embedded one.
    #[arg(long, global = true, value_name = "FILE.wasm")]
    pub provider: Option<PathBuf>,
    /// Log filter (e.g. `debug`, `ycprov=trace`); also RUST_LOG.
    #[arg(long, global = true, value_name = "FILTER")]
    pub log: Option<String>,
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
    /// Run the three steps against a local emulator started in this process.
    Demo(DemoArgs),
    /// Write the embedded provider component to a file (for other hosts).
    ProviderWasm {
        /// Where to write the component.
        #[arg(long, short)]
        out: PathBuf,
    },
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
