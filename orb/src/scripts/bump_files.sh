#!/bin/bash
# Changes one value in a file with the format-preserving editor; every other byte of the file stays as it is.
set -euo pipefail

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

file="$(circleci env subst "${PARAM_FILE}")"
path="${PARAM_PATH}"
value="${PARAM_VALUE}"
format="${PARAM_FORMAT}"
embedded="${PARAM_EMBEDDED}"
inner_path="${PARAM_INNER_PATH}"

args=(edit "--path=$path" "--value=$value")
if [[ -n "$format" ]]; then
  args+=("--format=$format")
fi
if [[ -n "$embedded" ]]; then
  args+=("--embedded=$embedded" "--inner-path=$inner_path")
fi
if is_true "${PARAM_CREATE}"; then
  args+=(--create)
fi
if is_true "${PARAM_DRY_RUN}"; then
  args+=(--dry-run)
fi
# "--" ends the options, so a file name that starts with a dash stays a file name.
args+=(-- "$file")

hephestus "${args[@]}"
