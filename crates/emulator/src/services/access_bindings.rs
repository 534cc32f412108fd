//! Access bindings of folders, of the cloud and of service accounts: list, set (replace
//! all) and update (ADD/REMOVE deltas).

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use crate::app::{ApiRequest, App};
use crate::auth::{Access, Principal};
use crate::cloud::CloudState;
use crate::error::{ApiError, ApiResult, Code};
use crate::input::Fields;
use crate::model::{AccessBinding, any, list_response};
use crate::validate;

use super::service_account_access;

/// The kind of resource whose bindings are managed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// A folder (Resource Manager).
    Folder,
    /// The cloud (Resource Manager).
    Cloud,
    /// A service account (IAM).
    ServiceAccount,
}

const ACTIONS: &[&str] = &["ACCESS_BINDING_ACTION_UNSPECIFIED", "ADD", "REMOVE"];

impl Resource {
    fn permission(self, access: Access) -> &'static str {
        match (self, access) {
            (Resource::Folder, Access::Read) => "resource-manager.folders.listAccessBindings",
            (Resource::Folder, Access::Write) => "resource-manager.folders.updateAccessBindings",
            (Resource::Cloud, Access::Read) => "resource-manager.clouds.listAccessBindings",
            (Resource::Cloud, Access::Write) => "resource-manager.clouds.updateAccessBindings",
            (Resource::ServiceAccount, Access::Read) => "iam.serviceAccounts.listAccessBindings",
            (Resource::ServiceAccount, Access::Write) => "iam.serviceAccounts.updateAccessBindings",
        }
    }

    /// Checks that the resource exists and that the caller has `access` to its bindings.
    fn authorize(
        self,
        cloud: &CloudState,
        caller: &Principal,
        id: &str,
        access: Access,
    ) -> ApiResult<()> {
        let permission = self.permission(access);
        match self {
            Resource::Folder => {
                cloud.folder(id)?;
                caller.require(cloud.folder_bindings(id), access, permission, id)
            }
            Resource::Cloud => {
                if id != cloud.seed.cloud_id {
                    return Err(ApiError::not_found(format!("Cloud {id} not found")));
                }
                caller.require(&cloud.cloud_bindings, access, permission, id)
            }
            Resource::ServiceAccount => {
                let account = cloud.service_account(id)?;
                caller.require(
                    &service_account_access(cloud, account),
                    access,
                    permission,
                    id,
                )
            }
        }
    }

    fn bindings(self, cloud: &CloudState, id: &str) -> Vec<AccessBinding> {
        let map = match self {
            Resource::Folder => &cloud.folder_bindings,
            Resource::Cloud => return cloud.cloud_bindings.clone(),
            Resource::ServiceAccount => &cloud.service_account_bindings,
        };
        map.get(id).cloned().unwrap_or_default()
    }

    fn bindings_mut<'a>(self, cloud: &'a mut CloudState, id: &str) -> &'a mut Vec<AccessBinding> {
        let map = match self {
            Resource::Folder => &mut cloud.folder_bindings,
            Resource::Cloud => return &mut cloud.cloud_bindings,
            Resource::ServiceAccount => &mut cloud.service_account_bindings,
        };
        map.entry(id.to_string()).or_default()
    }
}

/// Reads one `AccessBinding` message.
fn parse_binding(fields: &Fields) -> ApiResult<AccessBinding> {
    let role_id = validate::required(fields, "roleId", 64)?;
    let subject = fields
        .message("subject", &["id", "type"])?
        .ok_or_else(|| ApiError::invalid(&fields.path("subject"), "Field is required"))?;
    let subject_id = validate::required(&subject, "id", 100)?;
    let subject_type = validate::required(&subject, "type", 100)?;
    Ok(AccessBinding {
        role_id,
        subject_type,
        subject_id,
    })
}

fn delta_json(action: &str, binding: &AccessBinding) -> Value {
    json!({ "action": action, "accessBinding": binding.to_json() })
}

fn operation_result(effective: Vec<Value>) -> Value {
    let fields = if effective.is_empty() {
        json!({})
    } else {
        json!({ "effectiveDeltas": effective })
    };
    any("yandex.cloud.access.AccessBindingsOperationResult", fields)
}

/// `GET …/{resourceId}:listAccessBindings?pageSize=&pageToken=`
pub fn list(app: &App, request: &ApiRequest, resource: Resource, id: &str) -> ApiResult<Value> {
    let cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    let fields = Fields::from_query(&request.query, &["pageSize", "pageToken"])?;
    let id = validate::path_id("resourceId", id, 64)?;
    let page_size = validate::page_size(&fields)?;
    let offset = validate::page_token(&fields, 100)?;
    resource.authorize(&cloud, &caller, &id, Access::Read)?;
    let bindings = resource.bindings(&cloud, &id);
    let (page, next) = validate::paginate(&bindings, offset, page_size);
    Ok(list_response(
        "accessBindings",
        page.iter().map(AccessBinding::to_json).collect(),
        next,
    ))
}

/// `POST …/{resourceId}:setAccessBindings`: replaces every binding of the resource.
pub fn set(app: &App, request: &ApiRequest, resource: Resource, id: &str) -> ApiResult<Value> {
    let mut cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    if let Some(replay) = cloud.replay(request.idempotency_key()) {
        return Ok(replay);
    }
    let id = validate::path_id("resourceId", id, 64)?;
    let fields = Fields::from_body(request.body.as_ref(), &["accessBindings"])?;
    let items = fields.messages("accessBindings", &["roleId", "subject"])?;
    if items.len() > 1000 {
        return Err(ApiError::invalid(
            "accessBindings",
            "must have at most 1000 items",
        ));
    }
    let mut wanted: Vec<AccessBinding> = Vec::new();
    for item in &items {
        let binding = parse_binding(item)?;
        if !wanted.contains(&binding) {
            wanted.push(binding);
        }
    }
    resource.authorize(&cloud, &caller, &id, Access::Write)?;
    let current = resource.bindings(&cloud, &id);
    let added = wanted.iter().filter(|b| !current.contains(b)).count();
    let removed = current.iter().filter(|b| !wanted.contains(b)).count();
    check_binding_quota(app, &cloud, added.saturating_sub(removed))?;
    let metadata = any(
        "yandex.cloud.access.SetAccessBindingsMetadata",
        json!({ "resourceId": id }),
    );
    app.start_operation(
        &mut cloud,
        request,
        &caller,
        "Set access bindings",
        metadata,
        |cloud| {
            let current = resource.bindings_mut(cloud, &id);
            let mut effective: Vec<Value> = current
                .iter()
                .filter(|b| !wanted.contains(b))
                .map(|b| delta_json("REMOVE", b))
                .collect();
            effective.extend(
                wanted
                    .iter()
                    .filter(|b| !current.contains(b))
                    .map(|b| delta_json("ADD", b)),
            );
            *current = wanted;
            operation_result(effective)
        },
    )
}

/// Refuses `adding` more bindings when the cloud would then hold more than its
/// `iam.accessBindings.count` quota (bindings on it, its folders and service accounts).
fn check_binding_quota(app: &App, cloud: &CloudState, adding: usize) -> ApiResult<()> {
    let limit = app.quotas().access_bindings;
    let held: usize = cloud.folder_bindings.values().map(Vec::len).sum::<usize>()
        + cloud.cloud_bindings.len()
        + cloud
            .service_account_bindings
            .values()
            .map(Vec::len)
            .sum::<usize>();
    if adding > 0 && held + adding > limit {
        return Err(ApiError::new(
            Code::ResourceExhausted,
            format!("Quota limit iam.accessBindings.count exceeded (limit {limit} per cloud)"),
        ));
    }
    Ok(())
}

/// `POST …/{resourceId}:updateAccessBindings`: applies ADD/REMOVE deltas. Adding a binding that
/// exists and removing one that does not are no-ops left out of `effectiveDeltas`.
pub fn update(app: &App, request: &ApiRequest, resource: Resource, id: &str) -> ApiResult<Value> {
    let mut cloud = app.lock();
    let caller = cloud.authenticate(request.authorization())?;
    if let Some(replay) = cloud.replay(request.idempotency_key()) {
        return Ok(replay);
    }
    let id = validate::path_id("resourceId", id, 64)?;
    let fields = Fields::from_body(request.body.as_ref(), &["accessBindingDeltas"])?;
    let items = fields.messages("accessBindingDeltas", &["action", "accessBinding"])?;
    if items.is_empty() || items.len() > 1000 {
        return Err(ApiError::invalid(
            "accessBindingDeltas",
            "must have between 1 and 1000 items",
        ));
    }
    let mut deltas = Vec::with_capacity(items.len());
    for item in &items {
        let action = item
            .enumeration("action", ACTIONS)?
            .ok_or_else(|| ApiError::invalid(&item.path("action"), "Field is required"))?;
        let binding_fields = item
            .message("accessBinding", &["roleId", "subject"])?
            .ok_or_else(|| ApiError::invalid(&item.path("accessBinding"), "Field is required"))?;
        deltas.push((action, parse_binding(&binding_fields)?));
    }
    resource.authorize(&cloud, &caller, &id, Access::Write)?;
    {
        let bindings = resource.bindings(&cloud, &id);
        let current: HashSet<&AccessBinding> = bindings.iter().collect();
        let added: HashSet<&AccessBinding> = deltas
            .iter()
            .filter(|(action, binding)| *action == "ADD" && !current.contains(binding))
            .map(|(_, binding)| binding)
            .collect();
        check_binding_quota(app, &cloud, added.len())?;
    }
    let metadata = any(
        "yandex.cloud.access.UpdateAccessBindingsMetadata",
        json!({ "resourceId": id }),
    );
    app.start_operation(
        &mut cloud,
        request,
        &caller,
        "Update access bindings",
        metadata,
        |cloud| {
            let current = resource.bindings_mut(cloud, &id);
            let (updated, effective) = apply_deltas(std::mem::take(current), deltas);
            *current = updated;
            let added = effective.iter().filter(|d| d["action"] == "ADD").count();
            app.count_created("access_binding", added as u64);
            operation_result(effective)
        },
    )
}

/// Applies `deltas` in order to `bindings` (which hold each binding once; an ADD appends):
/// the bindings after, and the deltas that changed something, as the API reports them.
/// Linear in the bindings and deltas.
fn apply_deltas(
    bindings: Vec<AccessBinding>,
    deltas: Vec<(&str, AccessBinding)>,
) -> (Vec<AccessBinding>, Vec<Value>) {
    let mut slots: Vec<Option<AccessBinding>> = bindings.into_iter().map(Some).collect();
    let mut live: HashMap<AccessBinding, usize> = HashMap::with_capacity(slots.len());
    for (index, slot) in slots.iter().enumerate().rev() {
        if let Some(binding) = slot {
            live.insert(binding.clone(), index);
        }
    }
    let mut effective = Vec::new();
    for (action, binding) in deltas {
        match (action, live.get(&binding).copied()) {
            ("ADD", None) => {
                effective.push(delta_json("ADD", &binding));
                live.insert(binding.clone(), slots.len());
                slots.push(Some(binding));
            }
            ("REMOVE", Some(index)) => {
                effective.push(delta_json("REMOVE", &binding));
                slots[index] = None;
                live.remove(&binding);
            }
            _ => {}
        }
    }
    (slots.into_iter().flatten().collect(), effective)
}
