#!/usr/bin/env bash
# Installs the Debian packages the tests and the demo run for real: packer (the real binary builds against the
# sandbox), git (served over smart HTTP by the sandbox), shellcheck (orb scripts), hyperfine (benchmarks), and unzip
# and gpg (the orb's install_packer script, run by its tests).
# Does nothing when they are already there; needs root or sudo otherwise.
set -euo pipefail

missing=()
for tool in packer git shellcheck hyperfine unzip gpg; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-system-deps: need root or sudo to install: ${missing[*]}" >&2; exit 2; }
  as_root=(sudo)
fi
echo "install-system-deps: installing ${missing[*]}" >&2
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
