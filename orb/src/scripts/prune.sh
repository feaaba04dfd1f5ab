#!/bin/bash
# Deregisters the AMIs (and their snapshots) that fall out of the configured retention, with hephestus ami prune.
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
keep="$(literal keep "${PARAM_KEEP}")"
image="$(literal image "${PARAM_IMAGE}")"
regions="$(literal regions "${PARAM_REGIONS}")"
protect_days="$(literal protect_days "${PARAM_PROTECT_DAYS}")"

args=(ami prune "--config=$config" "--protect-days=$protect_days")
if [[ -n "$keep" ]]; then
  args+=("--keep=$keep")
fi
if [[ -n "$image" ]]; then
  args+=("--image=$image")
fi
if [[ -n "$regions" ]]; then
  args+=("--region=$regions")
fi
if is_true "${PARAM_DRY_RUN}"; then
  args+=(--dry-run)
fi

hephestus "${args[@]}"
