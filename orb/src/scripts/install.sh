#!/bin/bash
# Installs the hephestus CLI into a prefix of its own and puts it on PATH for the following steps.
#
# The package is self-contained (one bundle, no runtime dependencies), so it is unpacked from its tarball instead
# of installed with `npm install --global`: with nothing to resolve, npm's install machinery only adds its start-up
# and tree building, which bench/orb-overhead.ts measures. The layout stays npm's own
# ($prefix/lib/node_modules/hephestus, $prefix/bin/hephestus a relative link to its bin).
set -euo pipefail

# Expands environment variables in $1 with `circleci env subst`; a value without `$` is already its expansion, so
# it spares the step a process start (the default prefix, a literal path).
expand() {
  if [[ "$1" == *'$'* ]]; then circleci env subst "$1"; else printf '%s' "$1"; fi
}

version="${PARAM_VERSION}"
tarball="$(expand "${PARAM_TARBALL}")"
tarball="${tarball/#\~/$HOME}"
prefix="$(expand "${PARAM_PREFIX}")"
prefix="${prefix/#\~/$HOME}"

if [[ ! "$version" =~ ^[0-9A-Za-z][0-9A-Za-z.+-]*$ ]]; then
  echo "version must be a version or dist-tag such as 1.2.3, got: $version" >&2
  exit 2
fi

modules="$prefix/lib/node_modules"
target="$modules/hephestus"
bin="$prefix/bin/hephestus"

# Temporary directories, removed however the script ends; a failed unpack leaves no staging tree behind.
scratch=()
trap 'rm -rf "${scratch[@]}"' EXIT

refuse() {
  echo "$*" >&2
  exit 2
}

# Checks that $1 is a hephestus package tarball holding only files and directories inside package/, before
# anything is written: GNU tar would skip a `..` member itself, but only after unpacking the others. One verbose
# listing gives each member's type and name; the checks run in the shell, as a process per check would cost more
# than the listing.
check_tarball() {
  local archive="$1" listing line member name bundle="" manifest=""
  [[ -f "$archive" ]] || refuse "no tarball at $archive"
  listing="$(tar --force-local --numeric-owner -tvzf "$archive" 2>/dev/null)" ||
    refuse "$archive is not a gzip tar archive"
  # type+mode, uid/gid, size, date, time (GNU tar; seconds as BusyBox prints them), then the name.
  local entry='^([-d])[^ ]* +[0-9]+/[0-9]+ +[0-9]+ [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}(:[0-9]{2})? (.*)$'
  while IFS= read -r line; do
    [[ "$line" =~ $entry ]] || refuse "$archive has a member that is not a plain file or directory: $line"
    member="${BASH_REMATCH[3]}"
    [[ "$member" != /* ]] || refuse "$archive has a member with an absolute path: $member"
    [[ "/$member/" != */../* ]] || refuse "$archive has a member that climbs out with '..': $member"
    [[ "$member" == package/* ]] || refuse "$archive has a member outside package/: $member"
    [[ "$member" != package/dist/hephestus.mjs ]] || bundle=yes
    [[ "$member" != package/package.json ]] || manifest=yes
  done <<<"$listing"
  [[ -n "$bundle" ]] || refuse "$archive holds no package/dist/hephestus.mjs"
  [[ -n "$manifest" ]] || refuse "$archive holds no package/package.json"
  name="$(tar --force-local -xzOf "$archive" package/package.json |
    node -e 'try { process.stdout.write(String(JSON.parse(require("fs").readFileSync(0, "utf8")).name)); } catch {}' ||
    true)"
  [[ "$name" == "hephestus" ]] || refuse "$archive is the package \"$name\", not hephestus"
}

# Unpacks a checked tarball beside the live install, then swaps it in by rename, so that a half-unpacked tree is
# never the one the bin link reaches and a re-run over an existing install is safe.
unpack_tarball() {
  local archive="$1" staging retired link
  mkdir -p "$modules" "$prefix/bin"
  # What a killed run left behind (never the live install, which has no leading dot).
  rm -rf "$modules"/.hephestus-new-* "$modules"/.hephestus-old-*
  staging="$(mktemp -d "$modules/.hephestus-new-XXXXXX")"
  retired="$(mktemp -d "$modules/.hephestus-old-XXXXXX")"
  scratch+=("$staging" "$retired")
  tar --force-local -xzf "$archive" --no-same-owner --no-same-permissions --strip-components=1 -C "$staging"
  chmod 755 "$staging" "$staging/dist/hephestus.mjs"
  if [[ -e "$target" || -L "$target" ]]; then mv -T "$target" "$retired/hephestus"; fi
  mv -T "$staging" "$target"
  link="$(mktemp -u "$prefix/bin/.hephestus-XXXXXX")"
  ln -s ../lib/node_modules/hephestus/dist/hephestus.mjs "$link"
  mv -Tf "$link" "$bin"
}

if [[ -n "$tarball" ]]; then
  echo "Installing hephestus from $tarball into $prefix"
  check_tarball "$tarball"
  unpack_tarball "$tarball"
else
  installed=""
  if [[ -x "$bin" ]]; then
    installed="$("$bin" --version 2>/dev/null || true)"
  fi
  if [[ "$installed" == "$version" ]]; then
    echo "hephestus $version is already installed in $prefix (restored from the cache)"
  else
    echo "Installing hephestus@$version into $prefix"
    download="$(mktemp -d)"
    scratch+=("$download")
    # npm pack fetches the registry's tarball and checks its integrity, with the user's .npmrc, registry and auth.
    npm pack "hephestus@$version" --pack-destination "$download" --ignore-scripts --silent >/dev/null
    packed=("$download"/*.tgz)
    [[ -f "${packed[0]}" ]] || {
      echo "npm pack hephestus@$version made no tarball" >&2
      exit 1
    }
    check_tarball "${packed[0]}"
    unpack_tarball "${packed[0]}"
  fi
fi

# %q quotes the directory for the shell that sources BASH_ENV, so no character in the prefix can run there;
# $PATH is left for that shell to expand.
# shellcheck disable=SC2016
printf 'export PATH=%q:"$PATH"\n' "$prefix/bin" >>"$BASH_ENV"
"$bin" --version
