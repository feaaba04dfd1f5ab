#!/bin/bash
# Posts or updates the Slack notice for an event, when the job's outcome matches the "when" parameter.
# The tokens' variables are named by HEPHESTUS_*_TOKEN_VAR (the env_var_name parameters); hephestus reads them.
set -euo pipefail
eval "$SCRIPT_UTILS"

status="${HEPHESTUS_JOB_STATUS:-success}"
case "${PARAM_WHEN}" in
  always) ;;
  on_success | on_fail)
    if [[ "${PARAM_WHEN}" != "on_$status" ]]; then
      echo "The job's status is $status; this notice is sent ${PARAM_WHEN}. Nothing to send."
      exit 0
    fi
    ;;
  *) refuse "when must be always, on_success or on_fail, got: ${PARAM_WHEN}" ;;
esac

config="$(circleci env subst "${PARAM_CONFIG}")"
channels="$(literal channels "${PARAM_CHANNELS}")"
# The orb names events as hephestus.yml does (rollout); the CLI names the notice (rolled-out).
event="${PARAM_EVENT//_/-}"
if [[ "$event" == rollout ]]; then event=rolled-out; fi
args=(notify "--config=$config" "--event=$event")
# Guarded: bash before 4.4 calls an empty array unbound under set -u.
if [[ -n "$channels" ]]; then
  IFS=',' read -ra list <<<"$channels"
  for channel in "${list[@]}"; do
    if [[ -n "$channel" ]]; then args+=("--channel=$channel"); fi
  done
fi
if is_true "${PARAM_STRICT}"; then args+=(--strict); fi
hephestus "${args[@]}"
