#!/bin/bash
# Installs the hephestus CLI into a prefix of its own and puts it on PATH for the following steps.
#
# Where it comes from is the cli_source parameter: the npm registry (an exact version, checked against its pinned
# sha512 integrity, whether fetched or restored from the cache), a tarball, or a hephestus already on PATH.
#
# The package is self-contained (one bundle, no runtime dependencies), so it is unpacked from its tarball instead
# of installed with `npm install --global`: with nothing to resolve, npm's install machinery only adds its start-up
# and tree building, which bench/orb-overhead.ts measures. The layout stays npm's own
# ($prefix/lib/node_modules/hephestus, $prefix/bin/hephestus a relative link to its bin).
set -euo pipefail
eval "$SCRIPT_UTILS"

# Only path parameters are expanded (expand); the others take no `$` at all (literal).
source_kind="$(literal cli_source "${PARAM_CLI_SOURCE:-registry}")"
version="$(literal version "${PARAM_VERSION}")"
integrity="$(literal integrity "${PARAM_INTEGRITY:-}")"
registry="$(literal registry "${PARAM_REGISTRY:-https://registry.npmjs.org/}")"
tarball="$(expand "${PARAM_TARBALL}")"
tarball="${tarball/#\~/$HOME}"
prefix="$(expand "${PARAM_PREFIX}")"
prefix="${prefix/#\~/$HOME}"
# The registry tarball, kept between jobs by the CircleCI cache (install.yml saves this folder).
downloads="$HOME/.cache/hephestus-cli"

[[ "$version" =~ ^[0-9A-Za-z][0-9A-Za-z.+-]*$ ]] || refuse "version must be a version such as 1.2.3, got: $version"

modules="$prefix/lib/node_modules"
target="$modules/hephestus"
bin="$prefix/bin/hephestus"

# Temporary directories, removed however the script ends; a failed unpack leaves no staging tree behind.
scratch=()
trap 'rm -rf "${scratch[@]}"' EXIT

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

# The sha512 integrity, in npm's SRI form, of the file $1.
sha512_of() {
  node -e 'process.stdout.write("sha512-" + require("node:crypto").createHash("sha512").update(require("node:fs").readFileSync(process.argv[1])).digest("base64"))' "$1"
}

# Fetches hephestus@$version from $registry into $1 with `npm pack`, run from a directory of its own with a
# userconfig, prefix and registry of its own: no .npmrc of the checkout (a project config), of the image or of
# the user chooses where the package comes from. What arrives is checked against the pinned integrity anyway.
fetch_from_registry() {
  local into="$1" work
  work="$(mktemp -d)"
  scratch+=("$work")
  : >"$work/npmrc"
  (cd "$work" && npm pack "hephestus@$version" --registry="$registry" --userconfig="$work/npmrc" \
    --prefix="$work" --pack-destination "$work" --ignore-scripts --silent >/dev/null)
  [[ -f "$work/hephestus-$version.tgz" ]] || fail "npm pack hephestus@$version from $registry made no hephestus-$version.tgz"
  mkdir -p "$(dirname "$into")"
  mv -f "$work/hephestus-$version.tgz" "$into"
}

case "$source_kind" in
  installed)
    # The image (or an earlier step) provides hephestus; nothing is fetched and PATH is left as it is.
    found="$(command -v hephestus || true)"
    [[ -n "$found" ]] || refuse "cli_source is installed, but no hephestus is on PATH ($PATH)"
    echo "Using the hephestus on PATH: $found, version $(hephestus --version)"
    exit 0
    ;;
  tarball)
    [[ -n "$tarball" ]] || refuse "cli_source is tarball, but no tarball is given"
    echo "Installing hephestus from $tarball into $prefix"
    check_tarball "$tarball"
    unpack_tarball "$tarball"
    ;;
  registry)
    [[ -z "$tarball" ]] || refuse "a tarball is given, but cli_source is registry; set cli_source: tarball"
    [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] ||
      refuse "version must be an exact version such as 1.2.3 to install from the registry, got: $version"
    [[ "$integrity" =~ ^sha512-[A-Za-z0-9+/]{86}==$ ]] ||
      refuse "integrity must be the sha512 of hephestus@$version as npm prints it (npm view hephestus@$version dist.integrity), got: ${integrity:-nothing}"
    [[ "$registry" =~ ^https?://[^[:space:]]+$ ]] || refuse "registry must be an http(s) URL, got: $registry"
    cached="$downloads/hephestus-$version.tgz"
    # A restored cache is trusted for nothing: its tarball is used only when its bytes match the pin.
    if [[ -f "$cached" && "$(sha512_of "$cached")" == "$integrity" ]]; then
      echo "hephestus $version restored from the cache, integrity verified"
    else
      if [[ -e "$cached" ]]; then
        echo "The cached hephestus-$version.tgz does not match the pinned integrity; fetching it again" >&2
        rm -f "$cached"
      fi
      echo "Fetching hephestus@$version from $registry"
      fetched="$(mktemp -u "$downloads/.fetch-XXXXXX")"
      scratch+=("$fetched")
      fetch_from_registry "$fetched"
      actual="$(sha512_of "$fetched")"
      [[ "$actual" == "$integrity" ]] ||
        fail "hephestus@$version from $registry has integrity $actual, not the pinned $integrity; nothing installed"
      mv -f "$fetched" "$cached"
    fi
    echo "Installing hephestus $version into $prefix"
    check_tarball "$cached"
    unpack_tarball "$cached"
    ;;
  *)
    refuse "cli_source must be registry, installed or tarball, got: $source_kind"
    ;;
esac

# %q quotes the directory for the shell that sources BASH_ENV, so no character in the prefix can run there;
# $PATH is left for that shell to expand.
# shellcheck disable=SC2016
printf 'export PATH=%q:"$PATH"\n' "$prefix/bin" >>"$BASH_ENV"
"$bin" --version
