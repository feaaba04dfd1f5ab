#!/bin/bash
# Writes CircleCI's OIDC token to a file and exports, through BASH_ENV, the variables the AWS SDKs and Packer read
# to assume a role with it (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_SESSION_NAME).
set -euo pipefail
eval "$SCRIPT_UTILS"

role_arn="$(literal role_arn "${PARAM_ROLE_ARN}")"
session_name="$(literal role_session_name "${PARAM_ROLE_SESSION_NAME}")"
duration="$(literal session_duration "${PARAM_SESSION_DURATION}")"
region="$(literal region "${PARAM_REGION}")"
identity_file="$(circleci env subst "${PARAM_IDENTITY_FILE}")"
identity_file="${identity_file/#\~/$HOME}"

[[ "$role_arn" =~ ^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$ ]] ||
  refuse "role_arn must be an IAM role ARN such as arn:aws:iam::123456789012:role/hephestus, got: $role_arn"
if [[ -z "$session_name" ]]; then
  # CIRCLE_JOB may hold characters a session name may not; they become dashes.
  session_name="hephestus-${CIRCLE_JOB:-job}-${CIRCLE_BUILD_NUM:-0}"
  session_name="${session_name//[^A-Za-z0-9+=,.@_-]/-}"
  session_name="${session_name:0:64}"
fi
[[ "$session_name" =~ ^[A-Za-z0-9+=,.@_-]{2,64}$ ]] ||
  refuse "role_session_name must be 2 to 64 of the characters A-Z a-z 0-9 +=,.@_- got: $session_name"
if [[ ! "$duration" =~ ^[0-9]{3,5}$ ]] || ((duration < 900 || duration > 43200)); then
  refuse "session_duration must be 900 to 43200 seconds, got: $duration"
fi
[[ -z "$region" || "$region" =~ ^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$ ]] ||
  refuse "region must be an AWS region such as eu-west-1, got: $region"
[[ -n "${CIRCLE_OIDC_TOKEN_V2:-}" ]] ||
  refuse "CIRCLE_OIDC_TOKEN_V2 is empty: CircleCI issues OIDC tokens only to jobs that use a context; add one to the job"

# Written beside itself and renamed, readable by this user only: a reader never sees half a token.
mkdir -p "$(dirname "$identity_file")"
staged="$(mktemp "$(dirname "$identity_file")/.oidc-token-XXXXXX")"
chmod 600 "$staged"
printf '%s' "$CIRCLE_OIDC_TOKEN_V2" >"$staged"
mv -f "$staged" "$identity_file"

# %q quotes each value for the shell that sources BASH_ENV.
{
  echo 'unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE'
  printf 'export AWS_ROLE_ARN=%q\n' "$role_arn"
  printf 'export AWS_WEB_IDENTITY_TOKEN_FILE=%q\n' "$identity_file"
  printf 'export AWS_ROLE_SESSION_NAME=%q\n' "$session_name"
  printf 'export HEPHESTUS_AWS_SESSION_DURATION=%q\n' "$duration"
  if [[ -n "$region" ]]; then
    printf 'export AWS_REGION=%q AWS_DEFAULT_REGION=%q\n' "$region" "$region"
  fi
} >>"$BASH_ENV"
echo "AWS credentials: role $role_arn, session $session_name, ${duration}s, token in $identity_file"
