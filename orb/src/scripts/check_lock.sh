#!/bin/bash
# The check-lock flow: fails when the lock file names an AMI that is gone or not tagged validated.
set -euo pipefail

# Exports the secret held in the variable named by an env_var_name parameter under the name hephestus reads.
# The name is checked first: bash evaluates an array subscript inside an indirect expansion, which would run
# code taken from the parameter.
export_secret() {
  local target="$1" name="$2"
  if [[ ! "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
    echo "not an environment variable name: $name" >&2
    exit 2
  fi
  if [[ -n "${!name:-}" ]]; then
    export "$target=${!name}"
  else
    echo "warning: $name is empty or not set" >&2
  fi
}

config="$(circleci env subst "${PARAM_CONFIG}")"
export_secret GITHUB_TOKEN "${PARAM_GITHUB_TOKEN}"

args=(run check-lock "--config=$config")
hephestus "${args[@]}"
