# The console's one-click AI Studio API key, declaratively: a service account holding the
# roles of every AI Studio service, and an API key with every AI Studio scope. The lists
# are variables with the console's preset as defaults (the same data as
# `ycprov ai-studio key create`); narrow them for least privilege, e.g.
#   -var 'roles=["ai.languageModels.user"]' -var 'scopes=["yc.ai.languageModels.execute"]'
#
#   ycprov apply --local                               # against a local emulator
#   YC_IAM_TOKEN=… ycprov apply -var folder_id=b1g…    # against Yandex Cloud

terraform {
  required_providers {
    yandex = {
      source = "yandex-cloud/yandex"
    }
  }
}

provider "yandex" {
  folder_id = var.folder_id
}

variable "folder_id" {
  type        = string
  default     = null
  description = "The folder to grant access in (defaults to YC_FOLDER_ID or, with --local, the emulator's folder)."
}

variable "account_name" {
  type        = string
  default     = "sa-ai-studio-all"
  description = "The service account's name."
}

variable "roles" {
  type        = set(string)
  description = "Folder roles of the service account: every AI Studio service, as the console grants them."
  default = [
    "ai.editor",
    "serverless.mcpGateways.invoker",
    "serverless.mcpGateways.anonymousInvoker",
    "serverless.workflows.executor",
    "search-api.webSearch.user",
  ]
}

variable "scopes" {
  type        = list(string)
  description = "Scopes of the API key: every AI Studio scope, as the console's one-click key has them."
  default = [
    "yc.ai.imageGeneration.execute",
    "yc.ai.languageModels.execute",
    "yc.ai.speechkitStt.execute",
    "yc.ai.speechkitTts.execute",
    "yc.ai.translate.execute",
    "yc.ai.vision.execute",
    "yc.search-api.execute",
    "yc.serverless.containers.invoke",
    "yc.serverless.functions.invoke",
  ]
}

variable "key_lifetime" {
  type        = string
  default     = "2160h" # 90 days
  description = "How long the API key stays valid."
}

resource "yandex_iam_service_account" "ai" {
  name        = var.account_name
  description = "Yandex AI Studio: every service"
}

resource "yandex_resourcemanager_folder_iam_member" "ai" {
  for_each  = var.roles
  folder_id = yandex_iam_service_account.ai.folder_id
  role      = each.value
  member    = "serviceAccount:${yandex_iam_service_account.ai.id}"
}

resource "yandex_iam_service_account_api_key" "ai" {
  service_account_id = yandex_iam_service_account.ai.id
  description        = "AI Studio key for ${var.account_name}"
  scopes             = var.scopes
  expires_at         = timeadd(plantimestamp(), var.key_lifetime)

  lifecycle {
    ignore_changes = [expires_at]
  }

  depends_on = [yandex_resourcemanager_folder_iam_member.ai]
}

output "service_account_id" {
  value = yandex_iam_service_account.ai.id
}

output "api_key_id" {
  value = yandex_iam_service_account_api_key.ai.id
}

output "api_key_secret" {
  value     = yandex_iam_service_account_api_key.ai.secret_key
  sensitive = true
}
