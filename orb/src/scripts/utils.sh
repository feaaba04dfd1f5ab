# shellcheck shell=bash
# Helpers shared by the orb's scripts: each command includes this file as its step's SCRIPT_UTILS and each script
# starts with `eval "$SCRIPT_UTILS"`, as CircleCI's aws-cli and slack orbs do (a packed orb carries no folder that a
# script could source). test/orb/orb-scripts.test.ts keeps every script from defining these itself.

# Stops the step with exit 2: a parameter the user must change.
refuse() {
  echo "$*" >&2
  exit 2
}

# Stops the step with exit 1: a download or a check failed.
fail() {
  echo "$*" >&2
  exit 1
}

# Takes the value of a parameter that is not a path literally. `circleci env subst` would expand a `$` in it from
# the job's environment (a branch named x$GITHUB_TOKEN would become the token on argv), so a `$` is refused.
literal() {
  if [[ "$2" == *'$'* ]]; then
    refuse "$1 takes no environment variables (only path parameters do); it holds a \$: $2"
  fi
  printf '%s' "$2"
}

# Expands environment variables in the path $1 with `circleci env subst`; a value without `$` is already its
# expansion, so it spares the step a process start.
expand() {
  if [[ "$1" == *'$'* ]]; then circleci env subst "$1"; else printf '%s' "$1"; fi
}

# Booleans arrive as true/false, or 1/0 when rendered through a mustache section; anything else is a mistake.
is_true() {
  case "$1" in
    true | 1) return 0 ;;
    false | 0 | "") return 1 ;;
    *) refuse "expected true or false, got: $1" ;;
  esac
}
