#!/bin/bash
# Classifies what started the pipeline and writes it as JSON for the steps that choose what to run.
# The token's variable is named by HEPHESTUS_GITHUB_TOKEN_VAR (the github_token parameter); hephestus reads it.
set -euo pipefail

config="$(circleci env subst "${PARAM_CONFIG}")"
output="$(circleci env subst "${PARAM_OUTPUT}")"
args=(event --json "--config=$config" "--trigger-source=${PARAM_TRIGGER_SOURCE}"
  "--schedule-name=${PARAM_SCHEDULE_NAME}" "--git-branch=${PARAM_GIT_BRANCH}" "--parameters=${PARAM_PARAMETERS}")

mkdir -p -- "$(dirname -- "$output")"
hephestus "${args[@]}" >"$output"
cat -- "$output"
