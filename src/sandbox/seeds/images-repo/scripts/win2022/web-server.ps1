# Windows Server 2022 only: the IIS settings the web tier expects.
$ErrorActionPreference = 'Stop'
Set-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Filter 'system.webServer/security/requestFiltering' -Name 'removeServerHeader' -Value $true
Write-Output 'web-server (win2022): done'
