#!/bin/bash
# The promote flow: promotes the AMIs built for the merged PR and starts the consumer updates.
# The tokens' variables are named by HEPHESTUS_*_TOKEN_VAR (the env_var_name parameters); hephestus reads them.
set -euo pipefail
eval "$SCRIPT_UTILS"

config="$(circleci env subst "${PARAM_CONFIG}")"
args=(run promote "--config=$config")
if is_true "${PARAM_DRY_RUN}"; then args+=(--dry-run); fi
hephestus "${args[@]}"
