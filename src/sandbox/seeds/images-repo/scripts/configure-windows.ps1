# Baseline configuration: time zone, TLS 1.2, and EC2Launch reset so the AMI boots fresh.
$ErrorActionPreference = 'Stop'
Set-TimeZone -Id 'UTC'
New-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\.NETFramework\v4.0.30319' -Name 'SchUseStrongCrypto' -Value 1 -PropertyType DWord -Force | Out-Null
& "$env:ProgramFiles\Amazon\EC2Launch\EC2Launch.exe" reset --clean
Write-Output 'configure-windows: done'
