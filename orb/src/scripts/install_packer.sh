#!/bin/bash
# Installs a pinned Packer release into a directory of its own and puts it on PATH for the following steps.
#
# The release zip is checked before anything runs from it: HashiCorp's SHA256SUMS must be signed by HashiCorp's
# release key (when gpg is present, or always with signature=require), the zip must match its line there, and
# must match the pinned sha256 when one is given. The downloads are kept in a cache directory (saved by version
# with the CircleCI cache) and checked again on every run, so a restored cache is trusted no more than a fresh
# download. Exit 2 for bad parameters, 1 for a download or a check that failed; nothing is installed then.
set -euo pipefail
eval "$SCRIPT_UTILS"

version="${PARAM_VERSION}"
base_url="${PARAM_BASE_URL%/}"
key_url="${PARAM_GPG_KEY_URL}"
fingerprint="${PARAM_GPG_FINGERPRINT// /}"
signature="${PARAM_SIGNATURE:-auto}"
pinned_sha256="${PARAM_SHA256:-}"
install_dir="$(expand "${PARAM_INSTALL_DIR}")"
install_dir="${install_dir/#\~/$HOME}"

[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || refuse "version must be a release such as 1.16.1, got: $version"
[[ "$base_url" =~ ^https?://[^[:space:]]+$ ]] || refuse "base_url must be an http(s) URL, got: $base_url"
[[ "$signature" =~ ^(auto|require|skip)$ ]] || refuse "signature must be auto, require or skip, got: $signature"
[[ -z "$pinned_sha256" || "$pinned_sha256" =~ ^[0-9a-f]{64}$ ]] ||
  refuse "sha256 must be 64 lower-case hex digits, got: $pinned_sha256"
[[ "$signature" == skip || "$fingerprint" =~ ^[0-9A-Fa-f]{40}$ ]] ||
  refuse "gpg_fingerprint must be a 40-digit key fingerprint, got: $fingerprint"

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) refuse "no Packer release for $(uname -s)" ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) refuse "no Packer release for $(uname -m)" ;;
esac

zip="packer_${version}_${os}_${arch}.zip"
sums="packer_${version}_SHA256SUMS"
downloads="$install_dir/$version/downloads"
bin_dir="$install_dir/$version/bin"

scratch=()
trap 'rm -rf "${scratch[@]}"' EXIT

# Fetches $base_url/packer/$version/$1 into the downloads directory, unless an earlier run (or the cache) has it.
fetch() {
  local name="$1" part
  [[ -s "$downloads/$name" ]] && return 0
  mkdir -p "$downloads"
  part="$(mktemp "$downloads/.part-XXXXXX")"
  scratch+=("$part")
  curl --fail --silent --show-error --location --retry 3 --proto '=https,http' \
    --output "$part" "$base_url/packer/$version/$name" || fail "could not download $base_url/packer/$version/$name"
  mv -f "$part" "$downloads/$name"
}

# Checks SHA256SUMS against its signature with HashiCorp's key, the key itself checked by its full fingerprint.
verify_signature() {
  local home key
  fetch "$sums.sig"
  if [[ ! -s "$downloads/release-key.asc" ]]; then
    key="$(mktemp "$downloads/.part-XXXXXX")"
    scratch+=("$key")
    curl --fail --silent --show-error --location --retry 3 --output "$key" "$key_url" ||
      fail "could not download the release key from $key_url"
    mv -f "$key" "$downloads/release-key.asc"
  fi
  home="$(mktemp -d)"
  scratch+=("$home")
  gpg --homedir "$home" --batch --quiet --import "$downloads/release-key.asc" 2>/dev/null ||
    fail "$key_url is not a PGP public key"
  gpg --homedir "$home" --batch --with-colons --fingerprint 2>/dev/null | grep -qi "^fpr:::::::::$fingerprint:" ||
    fail "the key from $key_url is not the one with fingerprint $fingerprint"
  gpg --homedir "$home" --batch --quiet --trust-model always \
    --verify "$downloads/$sums.sig" "$downloads/$sums" 2>/dev/null || {
    rm -f "$downloads/$sums" "$downloads/$sums.sig"
    fail "$sums does not carry a valid signature of key $fingerprint: the download was tampered with"
  }
  echo "$sums: signature of key $fingerprint verified"
}

fetch "$sums"
fetch "$zip"
if [[ "$signature" == require || ("$signature" == auto && -x "$(command -v gpg || true)") ]]; then
  command -v gpg >/dev/null || fail "signature=require, but gpg is not installed"
  verify_signature
else
  echo "$sums: signature not checked (signature=$signature; gpg $(command -v gpg >/dev/null && echo present || echo absent))"
fi

expected="$(awk -v name="$zip" '$2 == name || $2 == "*" name { print $1 }' "$downloads/$sums")"
[[ "$expected" =~ ^[0-9a-f]{64}$ ]] || fail "$sums has no checksum for $zip"
actual="$(sha256sum "$downloads/$zip" | cut -d' ' -f1)"
if [[ "$actual" != "$expected" ]]; then
  rm -f "$downloads/$zip"
  fail "$zip has sha256 $actual, but $sums says $expected: the download was tampered with or cut short"
fi
if [[ -n "$pinned_sha256" && "$actual" != "$pinned_sha256" ]]; then
  fail "$zip has sha256 $actual, not the pinned $pinned_sha256"
fi
echo "$zip: sha256 $actual matches $sums"

# Unzipped beside the live copy and swapped in by rename, so a re-run never leaves a half-written packer on PATH.
staging="$(mktemp -d "$install_dir/$version/.bin-XXXXXX")"
scratch+=("$staging")
unzip -q -o "$downloads/$zip" packer -d "$staging" || fail "$zip holds no packer executable"
chmod 755 "$staging/packer"
rm -rf "$bin_dir"
mv -T "$staging" "$bin_dir"
reported="$("$bin_dir/packer" version 2>/dev/null | head -n 1 || true)"
[[ "$reported" == "Packer v$version"* ]] || fail "the installed packer says \"$reported\", not Packer v$version"

# %q quotes the directory for the shell that sources BASH_ENV; $PATH is left for that shell to expand.
# shellcheck disable=SC2016
printf 'export PATH=%q:"$PATH"\n' "$bin_dir" >>"$BASH_ENV"
echo "$reported installed in $bin_dir"
