#!/bin/bash
# Opens or updates the windows-update pull request for the changes in the working tree.
# The token's variable is named by HEPHESTUS_GITHUB_TOKEN_VAR (the github_token parameter); hephestus reads it.
set -euo pipefail
eval "$SCRIPT_UTILS"

config="$(circleci env subst "${PARAM_CONFIG}")"
branch="$(literal branch "${PARAM_BRANCH}")"
args=(pr "--config=$config")
if [[ -n "$branch" ]]; then args+=("--branch=$branch"); fi
if is_true "${PARAM_DRY_RUN}"; then args+=(--dry-run); fi
hephestus "${args[@]}"
