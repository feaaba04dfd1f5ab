# Windows Server images, one amazon-ebs source per image.
# Built in var.aws_region and copied to var.ami_regions; Hephestus bumps the
# *_source_ami pins in windows.auto.pkrvars.hcl when Amazon publishes a newer base AMI.

variable "aws_region" {
  type    = string
  default = "us-east-1"
}

variable "ami_regions" {
  type    = list(string)
  default = ["us-west-2"]
}

variable "aws_endpoint_ec2" {
  type        = string
  default     = ""
  description = "EC2 endpoint override (the Hephestus sandbox); empty means AWS itself."
}

variable "instance_type" {
  type    = string
  default = "t3.large"
}

variable "image_prefix" {
  type    = string
  default = "hephestus"
}

variable "git_sha" {
  type    = string
  default = "unknown"
}

variable "win2022_source_ami" {
  type = string
}

variable "win2019_source_ami" {
  type = string
}

locals {
  # A random suffix keeps AMI names unique when two builds start within the same second (a re-run, parallel jobs).
  build_time = "${formatdate("YYYYMMDDhhmmss", timestamp())}-${substr(uuidv4(), 0, 8)}"
  # communicator = "none": the provisioning scripts run from user data at first boot (EC2Launch),
  # so no WinRM port needs to be opened to the build instance.
  # Scripts every image runs, then each image's own folder (scripts/<image>/), so a change to one image's
  # script rebuilds that image only.
  common_scripts = [
    file("${path.root}/../scripts/install-features.ps1"),
    file("${path.root}/../scripts/configure-windows.ps1"),
  ]
  user_data_win2022 = join("\n", concat(["<powershell>"], local.common_scripts, [
    file("${path.root}/../scripts/win2022/web-server.ps1"),
    "</powershell>",
  ]))
  user_data_win2019 = join("\n", concat(["<powershell>"], local.common_scripts, [
    file("${path.root}/../scripts/win2019/net35.ps1"),
    "</powershell>",
  ]))
  # hephestus:* tags are Hephestus's own: it adds them after the build, and the Packer role may not write them.
  common_tags = {
    "built-by" = "packer"
    "git-sha"  = var.git_sha
  }
}

source "amazon-ebs" "win2022" {
  region                     = var.aws_region
  ami_regions                = var.ami_regions
  source_ami                 = var.win2022_source_ami
  instance_type              = var.instance_type
  ami_name                   = "${var.image_prefix}-win2022-${local.build_time}"
  ami_description            = "Windows Server 2022 built by Hephestus"
  communicator               = "none"
  user_data                  = local.user_data_win2022
  custom_endpoint_ec2        = var.aws_endpoint_ec2
  skip_region_validation     = true
  skip_credential_validation = true
  skip_metadata_api_check    = true

  tags = merge(local.common_tags, {
    "Name"     = "${var.image_prefix}-win2022"
    "base-ami" = var.win2022_source_ami
  })
  snapshot_tags = local.common_tags
  run_tags      = { "Name" = "packer-win2022" }
}

source "amazon-ebs" "win2019" {
  region                     = var.aws_region
  ami_regions                = var.ami_regions
  source_ami                 = var.win2019_source_ami
  instance_type              = var.instance_type
  ami_name                   = "${var.image_prefix}-win2019-${local.build_time}"
  ami_description            = "Windows Server 2019 built by Hephestus"
  communicator               = "none"
  user_data                  = local.user_data_win2019
  custom_endpoint_ec2        = var.aws_endpoint_ec2
  skip_region_validation     = true
  skip_credential_validation = true
  skip_metadata_api_check    = true

  tags = merge(local.common_tags, {
    "Name"     = "${var.image_prefix}-win2019"
    "base-ami" = var.win2019_source_ami
  })
  snapshot_tags = local.common_tags
  run_tags      = { "Name" = "packer-win2019" }
}

build {
  sources = ["source.amazon-ebs.win2022", "source.amazon-ebs.win2019"]
}
