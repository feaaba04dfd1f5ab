#!/bin/bash
# Changes one value in a file with the format-preserving editor; every other byte of the file stays as it is.
set -euo pipefail
eval "$SCRIPT_UTILS"

file="$(circleci env subst "${PARAM_FILE}")"
args=(edit "--path=${PARAM_PATH}" "--value=${PARAM_VALUE}")
if [[ -n "${PARAM_FORMAT}" ]]; then args+=("--format=${PARAM_FORMAT}"); fi
if [[ -n "${PARAM_EMBEDDED}" ]]; then args+=("--embedded=${PARAM_EMBEDDED}" "--inner-path=${PARAM_INNER_PATH}"); fi
if is_true "${PARAM_CREATE}"; then args+=(--create); fi
if is_true "${PARAM_DRY_RUN}"; then args+=(--dry-run); fi
# "--" ends the options, so a file name that starts with a dash stays a file name.
hephestus "${args[@]}" -- "$file"
