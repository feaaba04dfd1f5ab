#!/bin/bash
# Posts or updates the Slack notice for an event, when the job's outcome matches the "when" parameter.
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

status="${HEPHESTUS_JOB_STATUS:-success}"
case "${PARAM_WHEN}" in
  always) ;;
  on_success | on_fail)
    if [[ "${PARAM_WHEN}" != "on_$status" ]]; then
      echo "The job's status is $status; this notice is sent ${PARAM_WHEN}. Nothing to send."
      exit 0
    fi
    ;;
  *)
    echo "when must be always, on_success or on_fail, got: ${PARAM_WHEN}" >&2
    exit 2
    ;;
esac

config="$(circleci env subst "${PARAM_CONFIG}")"
channels="$(literal channels "${PARAM_CHANNELS}")"
export_secret SLACK_ACCESS_TOKEN "${PARAM_SLACK_TOKEN}"
export_secret GITHUB_TOKEN "${PARAM_GITHUB_TOKEN}"

# The orb names events as hephestus.yml does (rollout); the CLI names the notice (rolled-out).
event="${PARAM_EVENT//_/-}"
if [[ "$event" == rollout ]]; then
  event=rolled-out
fi
args=(notify "--config=$config" "--event=$event")
if [[ -n "$channels" ]]; then
  IFS=',' read -ra list <<<"$channels"
  for channel in "${list[@]}"; do
    if [[ -n "$channel" ]]; then
      args+=("--channel=$channel")
    fi
  done
fi
if is_true "${PARAM_STRICT}"; then
  args+=(--strict)
fi

hephestus "${args[@]}"
