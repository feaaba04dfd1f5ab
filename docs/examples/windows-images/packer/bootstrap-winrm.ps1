<powershell>
# First boot of the build instance: a WinRM listener on HTTPS (5986) with a self-signed certificate, for Packer
# only. The build's last provisioner removes the firewall rule again before sysprep, so instances launched from
# the AMI do not accept WinRM.
$ErrorActionPreference = 'Stop'
$certificate = New-SelfSignedCertificate -DnsName $env:COMPUTERNAME -CertStoreLocation 'Cert:\LocalMachine\My'
Get-ChildItem -Path 'WSMan:\localhost\Listener' | Where-Object { $_.Keys -contains 'Transport=HTTP' } | Remove-Item -Recurse -Force
New-Item -Path 'WSMan:\localhost\Listener' -Transport HTTPS -Address * -CertificateThumbPrint $certificate.Thumbprint -Force | Out-Null
Set-Item -Path 'WSMan:\localhost\Service\Auth\Basic' -Value $true
New-NetFirewallRule -DisplayName 'WinRM HTTPS (Packer)' -Name 'packer-winrm-https' -Protocol TCP -LocalPort 5986 -Action Allow | Out-Null
Restart-Service -Name WinRM
</powershell>
