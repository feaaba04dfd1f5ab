# Installs the Windows features every image carries.
$ErrorActionPreference = 'Stop'
Install-WindowsFeature -Name Web-Server, NET-Framework-45-Core -IncludeManagementTools
Write-Output 'install-features: done'
