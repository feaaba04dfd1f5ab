#!/bin/bash
# Installs the hephestus CLI into a prefix of its own and puts it on PATH for the following steps.
set -euo pipefail

version="${PARAM_VERSION}"
tarball="$(circleci env subst "${PARAM_TARBALL}")"
prefix="$(circleci env subst "${PARAM_PREFIX}")"
prefix="${prefix/#\~/$HOME}"

if [[ ! "$version" =~ ^[0-9A-Za-z][0-9A-Za-z.+-]*$ ]]; then
  echo "version must be a version or dist-tag such as 1.2.3, got: $version" >&2
  exit 2
fi

installed=""
if [[ -x "$prefix/bin/hephestus" ]]; then
  installed="$("$prefix/bin/hephestus" --version 2>/dev/null || true)"
fi

if [[ -n "$tarball" ]]; then
  # A relative path must not read as a package name or, starting with a dash, as an npm option.
  case "$tarball" in
    /*) ;;
    *) tarball="./$tarball" ;;
  esac
  echo "Installing hephestus from $tarball into $prefix"
  npm install --global --prefix "$prefix" --no-audit --no-fund --ignore-scripts "$tarball"
elif [[ "$installed" == "$version" ]]; then
  echo "hephestus $version is already installed in $prefix (restored from the cache)"
else
  echo "Installing hephestus@$version into $prefix"
  npm install --global --prefix "$prefix" --no-audit --no-fund --ignore-scripts "hephestus@$version"
fi

# %q quotes the directory for the shell that sources BASH_ENV, so no character in the prefix can run there;
# $PATH is left for that shell to expand.
# shellcheck disable=SC2016
printf 'export PATH=%q:"$PATH"\n' "$prefix/bin" >>"$BASH_ENV"
"$prefix/bin/hephestus" --version
