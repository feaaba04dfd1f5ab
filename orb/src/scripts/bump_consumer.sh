#!/bin/bash
# The bump-consumer flow: edits the configured files to name the new images and opens or updates their PR.
# The tokens' variables are named by HEPHESTUS_*_TOKEN_VAR (the env_var_name parameters); hephestus reads them.
set -euo pipefail
eval "$SCRIPT_UTILS"

config="$(circleci env subst "${PARAM_CONFIG}")"
args=(run bump-consumer "--config=$config")
# Without images hephestus reads the lock file (bump.source: lock) or says which parameter is missing.
if [[ -n "${PARAM_IMAGES}" ]]; then args+=("--images=${PARAM_IMAGES}"); fi
# Set by revoke: untrusted text, passed as one argument; hephestus cleans it before any PR shows it.
if [[ -n "${PARAM_ROLLBACK_REASON}" ]]; then args+=("--rollback-reason=${PARAM_ROLLBACK_REASON}" "--rollback-url=${PARAM_ROLLBACK_URL}"); fi
if is_true "${PARAM_DRY_RUN}"; then args+=(--dry-run); fi
hephestus "${args[@]}"
