#!/bin/bash
# Triggers a pipeline in another CircleCI project with pipeline parameters.
set -euo pipefail

# Takes the value of a parameter that is not a path literally. `circleci env subst` would expand a `$` in it from
# the job's environment (a branch named x$GITHUB_TOKEN would become the token on argv), so a `$` is refused.
literal() {
  if [[ "$2" == *'$'* ]]; then
    echo "$1 takes no environment variables (only path parameters do); it holds a \$: $2" >&2
    exit 2
  fi
  printf '%s' "$2"
}

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

project_slug="$(literal project_slug "${PARAM_PROJECT_SLUG}")"
branch="$(literal branch "${PARAM_BRANCH}")"
definition_id="$(literal definition_id "${PARAM_DEFINITION_ID}")"
parameters="${PARAM_PARAMETERS}"
export_secret CIRCLE_TOKEN "${PARAM_CIRCLE_TOKEN}"

args=(trigger "--project-slug=$project_slug" "--parameters=$parameters")
if [[ -n "$branch" ]]; then
  args+=("--branch=$branch")
fi
if [[ -n "$definition_id" ]]; then
  args+=("--definition-id=$definition_id")
fi
if is_true "${PARAM_DRY_RUN}"; then
  args+=(--dry-run)
fi

hephestus "${args[@]}"
