#!/bin/bash
# The check-lock flow: fails when the lock file names an AMI that is gone or not tagged validated.
# The token's variable is named by HEPHESTUS_GITHUB_TOKEN_VAR (the github_token parameter); hephestus reads it.
set -euo pipefail

config="$(circleci env subst "${PARAM_CONFIG}")"
hephestus run check-lock "--config=$config"
