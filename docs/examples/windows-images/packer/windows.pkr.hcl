# Windows Server images for production: Packer 1.10 or newer with the amazon plugin (installed by `packer init`,
# which Hephestus runs because of required_plugins below; the orb's install_packer command installs Packer).
#
# - Connects over WinRM on HTTPS (5986) with a certificate made at first boot by bootstrap-winrm.ps1; the
#   temporary security group admits only the address Packer runs from.
# - Provisions with PowerShell, restarts, then generalizes with EC2Launch v2 (reset + sysprep), so every
#   instance launched from the AMI gets a new SID, a new password and runs its own user data.
# - Builds in var.aws_region and copies to var.ami_regions; Hephestus passes both from hephestus.yml.
# - encrypt_boot = true encrypts the AMI's snapshots (with kms_key_id, or the account's default EBS key) in
#   every region (region_kms_key_ids per copy region). Packer then copies the built AMI to an encrypted one
#   and deletes the unencrypted intermediate: the IAM policy in docs/setup.md allows both.
# - No aws_polling block: Hephestus passes waits sized for Windows (packer.aws_polling in hephestus.yml);
#   a block here would override them.

packer {
  required_version = ">= 1.10.0"
  required_plugins {
    amazon = {
      version = ">= 1.3.0"
      source  = "github.com/hashicorp/amazon"
    }
  }
}

variable "aws_region" {
  type        = string
  default     = "us-east-1"
  description = "Build region; Hephestus passes the first of the image's regions."
}

variable "ami_regions" {
  type        = list(string)
  default     = []
  description = "Regions the AMI is copied to; Hephestus passes the image's other regions."
}

variable "git_sha" {
  type        = string
  default     = "unknown"
  description = "The commit being built; Hephestus passes it."
}

variable "win2022_source_ami" {
  type        = string
  description = "The pinned base AMI (windows.auto.pkrvars.hcl); Hephestus bumps it."
}

variable "instance_type" {
  type    = string
  default = "m6i.large"
}

variable "subnet_id" {
  type        = string
  default     = ""
  description = "A subnet with a route to the internet (or to your package mirrors); the default VPC when empty."
}

variable "encrypt_boot" {
  type    = bool
  default = false
}

variable "kms_key_id" {
  type        = string
  default     = ""
  description = "KMS key for the build region's snapshots (with encrypt_boot); the default EBS key when empty."
}

variable "region_kms_key_ids" {
  type        = map(string)
  default     = {}
  description = "KMS key per copy region (with encrypt_boot); each region's default EBS key when absent."
}

locals {
  # A random suffix keeps AMI names unique when two builds start within the same second.
  build_time = "${formatdate("YYYYMMDDhhmmss", timestamp())}-${substr(uuidv4(), 0, 8)}"
  # No hephestus:* tags here: Hephestus tags every AMI and snapshot after the build, and the Packer role may
  # not write them (see docs/security.md), so a template that sets one fails its build.
  common_tags = {
    "git-sha" = var.git_sha
  }
}

source "amazon-ebs" "win2022" {
  region             = var.aws_region
  ami_regions        = var.ami_regions
  source_ami         = var.win2022_source_ami
  instance_type      = var.instance_type
  subnet_id          = var.subnet_id
  ami_name           = "acme-win2022-${local.build_time}"
  ami_description    = "Windows Server 2022, built by Hephestus from ${var.git_sha}"
  encrypt_boot       = var.encrypt_boot
  kms_key_id         = var.kms_key_id
  region_kms_key_ids = var.region_kms_key_ids

  launch_block_device_mappings {
    device_name           = "/dev/sda1"
    volume_size           = 60
    volume_type           = "gp3"
    delete_on_termination = true
  }

  # IMDSv2 only, on the build instance and on every instance launched from the AMI.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  imds_support = "v2.0"

  communicator   = "winrm"
  winrm_username = "Administrator"
  winrm_use_ssl  = true
  # The certificate is self-signed, made on the instance at first boot: nothing could check it.
  winrm_insecure = true
  winrm_port     = 5986
  winrm_timeout  = "30m"
  user_data_file = "${path.root}/bootstrap-winrm.ps1"
  # The temporary security group admits WinRM from this job's public address only.
  temporary_security_group_source_public_ip = true

  tags = merge(local.common_tags, {
    "Name"     = "acme-win2022"
    "base-ami" = var.win2022_source_ami
  })
  snapshot_tags   = local.common_tags
  run_tags        = { "Name" = "packer-win2022" }
  run_volume_tags = { "Name" = "packer-win2022" }
}

build {
  sources = ["source.amazon-ebs.win2022"]

  provisioner "powershell" {
    scripts = ["${path.root}/../scripts/configure-windows.ps1"]
  }

  provisioner "windows-restart" {
    restart_timeout = "20m"
  }

  provisioner "powershell" {
    inline = [
      # Close the build's WinRM port for instances launched from the AMI (this session stays open).
      "Remove-NetFirewallRule -Name 'packer-winrm-https' -ErrorAction SilentlyContinue",
      # EC2Launch v2: run the first-boot tasks again on the next boot (new password, user data) ...
      "& 'C:/Program Files/Amazon/EC2Launch/ec2launch.exe' reset --block",
      # ... and generalize the image with sysprep, shutting the instance down for Packer to snapshot.
      "& 'C:/Program Files/Amazon/EC2Launch/ec2launch.exe' sysprep --shutdown --block",
    ]
  }
}
