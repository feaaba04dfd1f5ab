#!/bin/bash
# Builds the Packer template with hephestus, which streams the machine-readable log and writes the artifacts.
set -euo pipefail
eval "$SCRIPT_UTILS"

template="$(circleci env subst "${PARAM_TEMPLATE}")"
only="$(literal only "${PARAM_ONLY}")"
var_files="$(circleci env subst "${PARAM_VAR_FILES}")"
output="$(circleci env subst "${PARAM_OUTPUT}")"
log="$(circleci env subst "${PARAM_LOG}")"

args=(packer build "--out=$output" "--log=$log")
if [[ -n "$only" ]]; then args+=("--only=$only"); fi
if [[ -n "$var_files" ]]; then
  IFS=',' read -ra files <<<"$var_files"
  for file in "${files[@]}"; do
    if [[ -n "$file" ]]; then args+=("--var-file=$file"); fi
  done
fi
# "--" ends the options, so a template path that starts with a dash stays a path.
hephestus "${args[@]}" -- "$template"
