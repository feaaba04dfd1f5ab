#!/bin/bash
# Deprecates the AMIs that fall out of the configured retention and later deregisters them (and their snapshots), with hephestus ami prune.
set -euo pipefail
eval "$SCRIPT_UTILS"

config="$(circleci env subst "${PARAM_CONFIG}")"
keep="$(literal keep "${PARAM_KEEP}")"
image="$(literal image "${PARAM_IMAGE}")"
regions="$(literal regions "${PARAM_REGIONS}")"
protect_days="$(literal protect_days "${PARAM_PROTECT_DAYS}")"
grace_days="$(literal grace_days "${PARAM_GRACE_DAYS}")"

args=(ami prune "--config=$config" "--protect-days=$protect_days")
if [[ -n "$keep" ]]; then args+=("--keep=$keep"); fi
if [[ -n "$grace_days" ]]; then args+=("--grace-days=$grace_days"); fi
if [[ -n "$image" ]]; then args+=("--image=$image"); fi
if [[ -n "$regions" ]]; then args+=("--region=$regions"); fi
if is_true "${PARAM_DRY_RUN}"; then args+=(--dry-run); fi
hephestus "${args[@]}"
