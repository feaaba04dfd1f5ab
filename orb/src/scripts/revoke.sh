#!/bin/bash
# The revoke flow: takes an image's AMIs out of service and rolls channels, lock file and consumers back.
# The reason is passed as one argument, never evaluated: it is whatever the person who triggered the job typed.
set -euo pipefail
eval "$SCRIPT_UTILS"

config="$(circleci env subst "${PARAM_CONFIG}")"
args=(run revoke "--config=$config" "--image=${PARAM_IMAGE}" "--reason=${PARAM_REASON}")
read -r -a amis <<< "${PARAM_AMIS}"
for ami in "${amis[@]}"; do args+=("--ami=$ami"); done
if is_true "${PARAM_DRY_RUN}"; then args+=(--dry-run); fi
hephestus "${args[@]}"
