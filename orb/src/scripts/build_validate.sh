#!/bin/bash
# The build-validate flow: builds the images, validates and tags every AMI, and reports on the update PR.
# The tokens' variables are named by HEPHESTUS_*_TOKEN_VAR (the env_var_name parameters); hephestus reads them.
set -euo pipefail
eval "$SCRIPT_UTILS"

config="$(circleci env subst "${PARAM_CONFIG}")"
test_results="$(circleci env subst "${PARAM_TEST_RESULTS}")"
artifacts="$(circleci env subst "${PARAM_ARTIFACTS}")"
mkdir -p -- "$test_results" "$artifacts"
args=(run build-validate "--config=$config" "--junit=$test_results/smoke-tests.xml" "--artifacts=$artifacts")
if is_true "${PARAM_DRY_RUN}"; then args+=(--dry-run); fi
hephestus "${args[@]}"
