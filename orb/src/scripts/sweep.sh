#!/bin/bash
# Terminates validation instances that a killed job left running, with hephestus ami sweep.
set -euo pipefail
eval "$SCRIPT_UTILS"

config="$(circleci env subst "${PARAM_CONFIG}")"
regions="$(literal regions "${PARAM_REGIONS}")"
grace="$(literal grace_minutes "${PARAM_GRACE_MINUTES}")"

args=(ami sweep "--config=$config" "--grace-minutes=$grace")
if [[ -n "$regions" ]]; then args+=("--region=$regions"); fi
if is_true "${PARAM_DRY_RUN}"; then args+=(--dry-run); fi
hephestus "${args[@]}"
