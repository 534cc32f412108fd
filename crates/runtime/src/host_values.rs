//! Values a host fills into a data source's state after the component read it, from what
//! only the host holds (the schema's `host_values`). The component never sees them.

use secrecy::{ExposeSecret, SecretString};

use crate::capabilities::Capabilities;

/// The access token of the identity requests are authenticated as: the credentials of the
/// `Authorization` header without its scheme.
pub const ACCESS_TOKEN: &str = "access-token";

/// The value named `name` (one of the constants of this module), or none when the host has
/// no such value (e.g. no credentials). An unknown name or a failing credential is an error.
pub fn host_value(caps: &Capabilities, name: &str) -> Result<Option<SecretString>, String> {
    match name {
        ACCESS_TOKEN => {
            let header = caps.credentials.authorization()?;
            Ok(header.map(|header| {
                let text = header.expose_secret();
                let token = match text.split_once(' ') {
                    Some((scheme, token)) if !scheme.is_empty() => token,
                    _ => text,
                };
                SecretString::from(token.trim().to_string())
            }))
        }
        other => Err(format!(
            "the schema asks the host for a value \"{other}\" it does not know (known: {ACCESS_TOKEN})"
        )),
    }
}
