#!/usr/bin/env bash
# Install the Debian packages the test suite drives for real (listed in apt-packages.txt, one
# per line, '#' comments allowed), when they are missing and we may: as root with apt-get.
# Elsewhere it says what is missing; the tests that need a missing tool skip and say why.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/apt-packages.txt")
[ ${#wanted[@]} -eq 0 ] && exit 0
# A package counts as there when it is installed or an installed package provides it (e.g.
# NodeSource's nodejs provides, and conflicts with, Debian's npm).
provided="$(dpkg-query -W -f='${Status}\t${Provides}\n' 2>/dev/null \
  | sed -n 's/^install ok installed\t//p' | tr ',' '\n' | sed -e 's/(.*)//' -e 's/[[:space:]]//g')"
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" && continue
  grep -qx -- "$pkg" <<<"$provided" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "note: missing Debian packages (tests that need them will skip): ${missing[*]}" >&2
  echo "      install them with: sudo apt-get install ${missing[*]}" >&2
fi
