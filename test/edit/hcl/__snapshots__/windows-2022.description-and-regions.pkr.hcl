# Windows Server 2022 base image for the build agents.
# Bumped by hephestus: keep the layout, reviewers diff this file by hand.

packer {
  required_version = ">= 1.6.0"
}

variable "region" {
  type        = string
  default     = "us-east-1"
  description = "Region the build instance runs in."
}

variable "source_ami" {
  type        = string
  default     = "ami-0c2b0d3fb02824d92" // Windows_Server-2022-English-Full-Base-2024.01.16
  description = "Base AMI."
}

variable "ami_regions" {
  type    = list(string)
  default = ["us-east-1", "us-west-2", "eu-west-1"]
}

variable "amis" {
  type = map(map(string))
  default = {
    us-east-1 = {
      base       = "ami-0c2b0d3fb02824d92"
      "build.v2" = "ami-0123456789abcdef0"
    }
    "eu-west-1" = { base = "ami-0a1b2c3d4e5f60718" }
  }
}

variable "winrm_password" {
  type      = string
  sensitive = true
  default   = null
}

/*
 * Everything below is derived; edit the variables above instead.
 */
locals {
  timestamp = regex_replace(timestamp(), "[- TZ:]", "")
  ami_name  = "windows-2022-${local.timestamp}"
  owners    = ["amazon", "self"]
}

source "amazon-ebs" "win2022" {
  region        = var.region
  source_ami    = var.source_ami
  instance_type = "t3.xlarge"
  ami_name      = local.ami_name
  ami_regions = "us-west-2"
  communicator   = "winrm"
  winrm_username = "Administrator"
  winrm_password = var.winrm_password
  winrm_insecure = true
  winrm_use_ssl  = true
  user_data_file = "${path.root}/scripts/bootstrap.ps1"

  launch_block_device_mappings {
    device_name           = "/dev/sda1"
    volume_size           = 60
    volume_type           = "gp3"
    delete_on_termination = true
  }

  tags = {
    Name       = local.ami_name
    OS         = "Windows Server 2022"
    "Base AMI" = "{{ .SourceAMI }}"
    BuiltBy    = "hephestus"
  }
}

build {
  name    = "windows-2022"
  sources = ["source.amazon-ebs.win2022"]

  provisioner "powershell" {
    inline = [
      "Set-ExecutionPolicy Bypass -Scope Process -Force",
      "Write-Output \"Building from ${var.source_ami}\"",
      "C:\\ProgramData\\Amazon\\EC2-Windows\\Launch\\Scripts\\InitializeInstance.ps1 -Schedule",
    ]
  }

  provisioner "windows-restart" {
    restart_timeout = "15m"
  }

  post-processor "manifest" {
    output     = "manifest.json"
    strip_path = true
  }
}
