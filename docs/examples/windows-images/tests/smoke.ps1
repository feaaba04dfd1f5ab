# Smoke test, run through SSM on a validation instance launched from the new AMI.
$ErrorActionPreference = 'Stop'
if ((Get-TimeZone).Id -ne 'UTC') { throw 'time zone is not UTC' }
if ((Get-WindowsFeature -Name Web-Server).InstallState -ne 'Installed') { throw 'IIS is not installed' }
Write-Output 'smoke: ok'
