#!/bin/bash
# Boots every AMI of a Packer build, runs the smoke tests over SSM and tags the images with the outcome.
set -euo pipefail

config="$(circleci env subst "${PARAM_CONFIG}")"
artifacts="$(circleci env subst "${PARAM_ARTIFACTS}")"
test_results="$(circleci env subst "${PARAM_TEST_RESULTS}")"

mkdir -p -- "$test_results"
hephestus ami validate "--config=$config" "--artifacts=$artifacts" "--junit=$test_results/smoke-tests.xml"
