#!/bin/bash
# Terminates validation instances that a killed job left running, with hephestus ami sweep.
set -euo pipefail

# Takes a parameter that is not a path literally: a `$` in it is refused, never expanded from the environment.
literal() {
  if [[ "$2" == *'$'* ]]; then
    echo "$1 takes no environment variables (only path parameters do); it holds a \$: $2" >&2
    exit 2
  fi
  printf '%s' "$2"
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
regions="$(literal regions "${PARAM_REGIONS}")"
grace="$(literal grace_minutes "${PARAM_GRACE_MINUTES}")"

args=(ami sweep "--config=$config" "--grace-minutes=$grace")
if [[ -n "$regions" ]]; then
  args+=("--region=$regions")
fi
if is_true "${PARAM_DRY_RUN}"; then
  args+=(--dry-run)
fi

hephestus "${args[@]}"
