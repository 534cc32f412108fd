# AI Studio access: a service account, the `ai.languageModels.user` role on the
# folder, and an API key scoped to the language models, expiring in 90 days.
# The blocks are written for terraform-provider-yandex and work unchanged.
#
#   ycprov apply --local          # against a local emulator kept under .ycprov/
#   YC_IAM_TOKEN=… ycprov apply -var folder_id=b1g…   # against Yandex Cloud

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
  default     = "sa-ai-studio"
  description = "The service account's name."
}

variable "key_lifetime" {
  type        = string
  default     = "2160h" # 90 days
  description = "How long the API key stays valid."
}

resource "yandex_iam_service_account" "ai" {
  name        = var.account_name
  description = "Calls Yandex AI Studio language models"
}

resource "yandex_resourcemanager_folder_iam_member" "ai_user" {
  folder_id = yandex_iam_service_account.ai.folder_id
  role      = "ai.languageModels.user"
  member    = "serviceAccount:${yandex_iam_service_account.ai.id}"
}

resource "yandex_iam_service_account_api_key" "ai" {
  service_account_id = yandex_iam_service_account.ai.id
  description        = "AI Studio key for ${var.account_name}"
  scopes             = ["yc.ai.languageModels.execute"]
  expires_at         = timeadd(plantimestamp(), var.key_lifetime)

  # The expiry is fixed at creation; later plans must not move it.
  lifecycle {
    ignore_changes = [expires_at]
  }

  depends_on = [yandex_resourcemanager_folder_iam_member.ai_user]
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
