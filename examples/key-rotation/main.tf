# AI Studio key rotation the Terraform way: a service account with the
# `ai.languageModels.user` role, and an API key replaced every 30 days.
#
# `time_rotating` (the embedded hashicorp/time provider) holds the rotation schedule.
# Once its rotation time has passed, the next plan replaces it, and
# `replace_triggered_by` replaces the key with it. `create_before_destroy` creates the
# new key (and saves its secret in the state) before the old one is deleted, so there
# is always a valid key. Each key expires a week after its planned rotation, so a
# missed run does not leave a dead key at once.
#
#   ycprov apply --local                        # against a local emulator kept under .ycprov/
#   YC_IAM_TOKEN=… ycprov apply -var folder_id=b1g…
#   YCPROV_TEST_NOW=2031-01-01T00:00:00Z ycprov plan --local   # see a rotation without waiting

terraform {
  required_providers {
    yandex = {
      source = "yandex-cloud/yandex"
    }
    time = {
      source = "hashicorp/time"
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

variable "rotation_days" {
  type        = number
  default     = 30
  description = "How often the key is replaced."
}

resource "time_rotating" "key" {
  rotation_days = var.rotation_days
}

resource "yandex_iam_service_account" "app" {
  name        = "sa-ai-rotated"
  description = "Calls Yandex AI Studio with a key rotated every ${var.rotation_days} days"
}

resource "yandex_resourcemanager_folder_iam_member" "llm" {
  folder_id = yandex_iam_service_account.app.folder_id
  role      = "ai.languageModels.user"
  member    = "serviceAccount:${yandex_iam_service_account.app.id}"
}

resource "yandex_iam_service_account_api_key" "app" {
  service_account_id = yandex_iam_service_account.app.id
  description        = "AI Studio key, rotated after ${time_rotating.key.rotation_rfc3339}"
  scopes             = ["yc.ai.languageModels.execute"]
  expires_at         = timeadd(time_rotating.key.rotation_rfc3339, "168h")

  lifecycle {
    create_before_destroy = true
    replace_triggered_by  = [time_rotating.key]
  }

  depends_on = [yandex_resourcemanager_folder_iam_member.llm]
}

output "api_key_id" {
  value = yandex_iam_service_account_api_key.app.id
}

output "api_key_secret" {
  value     = yandex_iam_service_account_api_key.app.secret_key
  sensitive = true
}

output "next_rotation" {
  value = time_rotating.key.rotation_rfc3339
}
