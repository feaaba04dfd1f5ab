# Smoke tests run through SSM (AWS-RunPowerShellScript) on an instance launched from the new AMI.
# Each check prints PASS or FAIL; any failure exits 1 so the validation fails.
$failed = 0
if ((Get-WindowsFeature -Name Web-Server).Installed) { Write-Output 'PASS web-server-installed' } else { Write-Output 'FAIL web-server-installed'; $failed++ }
if ((Get-TimeZone).Id -eq 'UTC') { Write-Output 'PASS timezone-utc' } else { Write-Output 'FAIL timezone-utc'; $failed++ }
if ((Get-Service -Name AmazonSSMAgent).Status -eq 'Running') { Write-Output 'PASS ssm-agent-running' } else { Write-Output 'FAIL ssm-agent-running'; $failed++ }
if ($failed -gt 0) { exit 1 }
Write-Output 'smoke: all checks passed'
