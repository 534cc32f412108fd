//! Resource Manager reads: the clouds and folders that data sources look up, by id or by
//! exact name, over the REST paths of `CloudService` and `FolderService`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::client::Client;
use crate::error::Error;
use crate::platform::Platform;
use crate::url::{self, RESOURCE_MANAGER_HOST};
use crate::validation;

/// A cloud (`yandex.cloud.resourcemanager.v1.Cloud`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Cloud {
    /// The cloud id.
    pub id: String,
    /// Creation time, RFC3339.
    pub created_at: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// The organization it belongs to.
    pub organization_id: String,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
}

/// A folder (`yandex.cloud.resourcemanager.v1.Folder`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Folder {
    /// The folder id.
    pub id: String,
    /// The cloud it belongs to.
    pub cloud_id: String,
    /// Creation time, RFC3339.
    pub created_at: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// `ACTIVE`, `DELETING` or `PENDING_DELETION`.
    pub status: String,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct CloudPage {
    clouds: Vec<Cloud>,
    next_page_token: String,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct FolderPage {
    folders: Vec<Folder>,
    next_page_token: String,
}

/// The Resource Manager client (reads only).
pub struct Hierarchy<'a, P: Platform + ?Sized> {
    client: Client<'a, P>,
}

impl<'a, P: Platform + ?Sized> Hierarchy<'a, P> {
    /// A client with the default retry policy.
    pub fn new(platform: &'a P) -> Self {
        Hierarchy {
            client: Client::new(platform),
        }
    }

    /// Reads a cloud by id.
    pub fn get_cloud(&self, id: &str) -> Result<Cloud, Error> {
        validation::resource_id("cloud_id", id)?;
        let url = format!(
            "{RESOURCE_MANAGER_HOST}/resource-manager/v1/clouds/{}",
            url::segment(id)
        );
        self.client.get(&url)?.json("cloud")
    }

    /// The clouds the caller may see whose name is exactly `name`.
    pub fn find_clouds_by_name(&self, name: &str) -> Result<Vec<Cloud>, Error> {
        validation::name("name", name)?;
        let filter = format!("name=\"{name}\"");
        let base = format!("{RESOURCE_MANAGER_HOST}/resource-manager/v1/clouds");
        let clouds = self.client.list_pages(
            "cloud list",
            &base,
            &[("filter", &filter)],
            |page: CloudPage| (page.clouds, page.next_page_token),
        )?;
        Ok(clouds.into_iter().filter(|c| c.name == name).collect())
    }

    /// Reads a folder by id.
    pub fn get_folder(&self, id: &str) -> Result<Folder, Error> {
        validation::resource_id("folder_id", id)?;
        let url = format!(
            "{RESOURCE_MANAGER_HOST}/resource-manager/v1/folders/{}",
            url::segment(id)
        );
        self.client.get(&url)?.json("folder")
    }

    /// The folder of `cloud_id` whose name is exactly `name`, if any.
    pub fn find_folder_by_name(&self, cloud_id: &str, name: &str) -> Result<Option<Folder>, Error> {
        validation::resource_id("cloud_id", cloud_id)?;
        validation::name("name", name)?;
        let filter = format!("name=\"{name}\"");
        let base = format!("{RESOURCE_MANAGER_HOST}/resource-manager/v1/folders");
        let folders = self.client.list_pages(
            "folder list",
            &base,
            &[("cloudId", cloud_id), ("filter", &filter)],
            |page: FolderPage| (page.folders, page.next_page_token),
        )?;
        Ok(folders.into_iter().find(|f| f.name == name))
    }
}
