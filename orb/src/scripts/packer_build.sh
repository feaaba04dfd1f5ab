#!/bin/bash
# Builds the Packer template with hephestus, which streams the machine-readable log and writes the artifacts.
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

template="$(circleci env subst "${PARAM_TEMPLATE}")"
only="$(literal only "${PARAM_ONLY}")"
var_files="$(circleci env subst "${PARAM_VAR_FILES}")"
output="$(circleci env subst "${PARAM_OUTPUT}")"
log="$(circleci env subst "${PARAM_LOG}")"

args=(packer build "--out=$output" "--log=$log")
if [[ -n "$only" ]]; then
  args+=("--only=$only")
fi
if [[ -n "$var_files" ]]; then
  IFS=',' read -ra files <<<"$var_files"
  for file in "${files[@]}"; do
    if [[ -n "$file" ]]; then
      args+=("--var-file=$file")
    fi
  done
fi
# "--" ends the options, so a template path that starts with a dash stays a path.
args+=(-- "$template")

hephestus "${args[@]}"
