#!/bin/bash
# The monitor flow: reports the open update PRs, merges the green ones if configured, reminds of stale ones.
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

# Booleans arrive as true/false, or 1/0 when rendered through a mustache section; anything else is a mistake.
is_true() {
  case "$1" in
    true | 1) return 0 ;;
    false | 0 | "") return 1 ;;
    *)
      echo "expected true or false, got: $1" >&2
      exit 2
      ;;
  esac
}

config="$(circleci env subst "${PARAM_CONFIG}")"
export_secret GITHUB_TOKEN "${PARAM_GITHUB_TOKEN}"
export_secret SLACK_ACCESS_TOKEN "${PARAM_SLACK_TOKEN}"

args=(run monitor "--config=$config")
if is_true "${PARAM_DRY_RUN}"; then
  args+=(--dry-run)
fi

hephestus "${args[@]}"
