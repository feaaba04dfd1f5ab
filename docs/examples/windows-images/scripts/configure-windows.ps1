# Baseline configuration of every instance launched from the image.
$ErrorActionPreference = 'Stop'
Set-TimeZone -Id 'UTC'
New-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\.NETFramework\v4.0.30319' -Name 'SchUseStrongCrypto' -Value 1 -PropertyType DWord -Force | Out-Null
Install-WindowsFeature -Name Web-Server -IncludeManagementTools | Out-Null
Write-Output 'configure-windows: done'
