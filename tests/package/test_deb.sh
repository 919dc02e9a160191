#!/usr/bin/env bash
# Builds the Debian package with CPack from a configured and built build
# directory, checks its control fields and contents, unpacks it into a
# scratch root and runs the packaged binary with --version.
#
# Usage: tests/package/test_deb.sh BUILD_DIR
# Needs dpkg-dev and file (for CPack's dpkg-shlibdeps step). The package is
# written to a temporary directory, not into BUILD_DIR.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
if [[ ! -f "$build_dir/CPackConfig.cmake" ]]; then
  echo "error: $build_dir has no CPackConfig.cmake. Configure it with cmake first." >&2
  exit 2
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

failures=0
pass() { echo "ok   $*"; }
fail() {
  echo "FAIL $*"
  failures=$((failures + 1))
}

version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' \
  "$build_dir/CPackConfig.cmake")
if [[ -z "$version" ]]; then
  echo "error: CPACK_PACKAGE_VERSION is missing from $build_dir/CPackConfig.cmake" >&2
  exit 1
fi

if ! (cd "$build_dir" && cpack -G DEB -B "$scratch/out") >"$scratch/cpack.log" 2>&1; then
  echo "FAIL cpack -G DEB in $build_dir:"
  cat "$scratch/cpack.log"
  exit 1
fi
shopt -s nullglob
debs=("$scratch"/out/*.deb)
if [[ ${#debs[@]} -ne 1 ]]; then
  echo "FAIL cpack wrote ${#debs[@]} .deb files, expected 1:"
  cat "$scratch/cpack.log"
  exit 1
fi
deb=${debs[0]}
pass "cpack wrote $(basename "$deb")"

# Control fields.
field() { dpkg-deb --field "$deb" "$1"; }
check_field() {
  local name=$1 expected=$2 actual
  actual=$(field "$name")
  if [[ "$actual" == "$expected" ]]; then
    pass "$name is $expected"
  else
    fail "$name is '$actual', expected '$expected'"
  fi
}
check_field Package cdb-sync-exporter
check_field Version "$version"
check_field Section net

depends=$(field Depends)
# Library packages of Debian 12 that dpkg-shlibdeps must have found.
for library in libcurl4 libprometheus-cpp-core1.0 libssl3 libyaml-cpp0.7; do
  if grep -qE "(^|, )$library( |,|$)" <<<"$depends"; then
    pass "Depends lists $library"
  else
    fail "Depends does not list $library: ${depends:-(empty)}"
  fi
done
if [[ -n "$(field Maintainer)" && -n "$(field Description)" ]]; then
  pass "Maintainer and Description are set"
else
  fail "Maintainer or Description is empty"
fi

dpkg-deb --info "$deb" >"$scratch/info.txt"
if grep -q '^ Package: cdb-sync-exporter$' "$scratch/info.txt"; then
  pass "dpkg-deb --info shows the package name"
else
  fail "dpkg-deb --info does not show Package: cdb-sync-exporter"
fi

# Contents.
dpkg-deb --contents "$deb" | awk '{print $1, $NF}' >"$scratch/contents.txt"
missing_entries=0
check_entry() {
  local mode=$1 path=$2
  if grep -qxF -- "$mode ./$path" "$scratch/contents.txt"; then
    pass "contains $path ($mode)"
  else
    fail "does not contain $path with mode $mode"
    missing_entries=$((missing_entries + 1))
  fi
}
check_entry -rwxr-xr-x usr/bin/cdb_sync_exporter
check_entry -rw-r--r-- usr/lib/systemd/system/cdb_sync_exporter.service
check_entry -rw-r--r-- etc/cdb_sync_exporter/config.yml
check_entry -rw-r--r-- usr/share/doc/cdb-sync-exporter/cdb_sync_exporter.example.yml
if [[ $missing_entries -ne 0 ]]; then
  echo "     the package contains:"
  sed 's/^/     /' "$scratch/contents.txt"
fi

mkdir "$scratch/control"
dpkg-deb --control "$deb" "$scratch/control"
if grep -qx /etc/cdb_sync_exporter/config.yml "$scratch/control/conffiles" 2>/dev/null; then
  pass "conffiles lists /etc/cdb_sync_exporter/config.yml"
else
  fail "conffiles does not list /etc/cdb_sync_exporter/config.yml"
fi

# Unpack and run the packaged binary.
dpkg -x "$deb" "$scratch/root"
binary=$scratch/root/usr/bin/cdb_sync_exporter
if output=$("$binary" --version 2>&1); then
  if grep -q "^cdb_sync_exporter version $version " <<<"$output"; then
    pass "packaged binary prints version $version"
  else
    fail "packaged binary --version printed '$output', expected version $version"
  fi
else
  fail "packaged binary --version failed: $output"
fi
if grep -qx "ExecStart=/usr/bin/cdb_sync_exporter .*" \
    "$scratch/root/usr/lib/systemd/system/cdb_sync_exporter.service" 2>/dev/null; then
  pass "the unit starts the packaged binary"
else
  fail "the unit's ExecStart does not name /usr/bin/cdb_sync_exporter"
fi

if [[ $failures -ne 0 ]]; then
  echo "$failures package checks failed"
  exit 1
fi
echo "all package checks passed"
