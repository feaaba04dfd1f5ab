#!/bin/bash
# Triggers a pipeline in another CircleCI project with pipeline parameters.
# The token's variable is named by HEPHESTUS_CIRCLE_TOKEN_VAR (the circle_token parameter); hephestus reads it.
set -euo pipefail
eval "$SCRIPT_UTILS"

project_slug="$(literal project_slug "${PARAM_PROJECT_SLUG}")"
branch="$(literal branch "${PARAM_BRANCH}")"
definition_id="$(literal definition_id "${PARAM_DEFINITION_ID}")"

args=(trigger "--project-slug=$project_slug" "--parameters=${PARAM_PARAMETERS}")
if [[ -n "$branch" ]]; then args+=("--branch=$branch"); fi
if [[ -n "$definition_id" ]]; then args+=("--definition-id=$definition_id"); fi
if is_true "${PARAM_DRY_RUN}"; then args+=(--dry-run); fi
hephestus "${args[@]}"
