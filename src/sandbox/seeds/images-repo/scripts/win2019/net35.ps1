# Windows Server 2019 only: .NET Framework 3.5 for the legacy agents still built on it.
$ErrorActionPreference = 'Stop'
Install-WindowsFeature -Name NET-Framework-Core
Write-Output 'net35 (win2019): done'
