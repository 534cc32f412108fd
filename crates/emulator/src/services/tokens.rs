//! IamTokenService.Create: exchanges an OAuth token or a service account's JWT for an IAM token.

use serde_json::{Value, json};

use crate::app::{ApiRequest, App};
use crate::auth::Principal;
use crate::clock;
use crate::cloud::TokenGrant;
use crate::error::{ApiError, ApiResult, Code};
use crate::input::Fields;
use crate::jwt;
use crate::validate;

/// Lifetime of issued IAM tokens.
pub const TOKEN_LIFETIME_SECONDS: i64 = 12 * 3600;

/// `POST /iam/v1/tokens` with exactly one of `yandexPassportOauthToken` and `jwt`; no
/// authentication. Returns `{"iamToken", "expiresAt"}`.
pub fn create(app: &App, request: &ApiRequest) -> ApiResult<Value> {
    let fields = Fields::from_body(request.body.as_ref(), &["yandexPassportOauthToken", "jwt"])?;
    let oauth = validate::optional(&fields, "yandexPassportOauthToken", 4000)?;
    let jwt_text = validate::optional(&fields, "jwt", 8000)?;
    if oauth.is_empty() == jwt_text.is_empty() {
        return Err(ApiError::new(
            Code::InvalidArgument,
            "Request validation error: Exactly one of 'yandexPassportOauthToken' and 'jwt' should be specified.",
        ));
    }
    let mut cloud = app.lock();
    let now = clock::unix_now();
    let principal = if !oauth.is_empty() {
        let user_id = cloud.oauth_tokens.get(&oauth).ok_or_else(|| {
            ApiError::unauthenticated("The OAuth token is invalid or has expired.")
        })?;
        Principal {
            subject_type: "userAccount".into(),
            subject_id: user_id.clone(),
        }
    } else {
        let key = jwt::verify(&jwt_text, now, |kid| cloud.keys.get(kid))?;
        let account_id = key.service_account_id.clone();
        cloud.service_account(&account_id).map_err(|_| {
            ApiError::unauthenticated("Invalid JWT: the service account no longer exists")
        })?;
        Principal {
            subject_type: "serviceAccount".into(),
            subject_id: account_id,
        }
    };
    cloud
        .tokens
        .retain(|_, grant| grant.expires_at.is_none_or(|at| at > now));
    let token = cloud.ids.iam_token();
    let expires_at = now + TOKEN_LIFETIME_SECONDS;
    cloud.tokens.insert(
        token.clone(),
        TokenGrant {
            principal,
            expires_at: Some(expires_at),
        },
    );
    cloud.issued_secrets.push(token.clone());
    app.commit(&cloud)?;
    Ok(json!({ "iamToken": token, "expiresAt": clock::format_unix(expires_at) }))
}
