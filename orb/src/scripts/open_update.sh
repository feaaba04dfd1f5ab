#!/bin/bash
# The open-update flow: finds newer base AMIs, bumps the pinned values and opens or updates the update PR.
# The tokens' variables are named by HEPHESTUS_*_TOKEN_VAR (the env_var_name parameters); hephestus reads them.
set -euo pipefail
eval "$SCRIPT_UTILS"

config="$(circleci env subst "${PARAM_CONFIG}")"
args=(run open-update "--config=$config")
if [[ -n "${PARAM_IMAGES}" ]]; then args+=("--images=${PARAM_IMAGES}"); fi
if is_true "${PARAM_FORCE}"; then args+=(--force); fi
if is_true "${PARAM_DRY_RUN}"; then args+=(--dry-run); fi
hephestus "${args[@]}"
