#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian packages of cmake/SsrPackaging.cmake, built with cpack from this build tree into a
# scratch directory and never installed into the system:
#   1. cpack -G DEB yields exactly libssr-dev, ssr-router (and libssr0 when the shared library
#      is built), each with the expected control fields (dpkg-deb -f): version, maintainer,
#      section, a synopsis and a long description, Depends from dpkg-shlibdeps and the
#      inter-package / -dev dependencies; ssr-router's /etc/ssr files are conffiles.
#   2. file lists (dpkg-deb -c): the expected files are there, every package has its copyright and
#      changelog, no test binary, no ssr-impair, nothing under a build-tree path, and no text file
#      names the build tree or the cpack staging directory.
#   3. all packages extracted into one scratch root (dpkg-deb -x); examples/embed-minimal builds
#      against it with find_package(ssr) (CMAKE_PREFIX_PATH) and with pkg-config (PKG_CONFIG_PATH,
#      the .pc is relocatable), and each build answers --version with LD_LIBRARY_PATH into the root;
#      the extracted ssr-router, ssrctl and ssr-config-check answer --version too.
#   4. lintian on every package when it is installed: its output is shown, an error (E:) fails the
#      test, warnings do not.
# Usage: deb_test.sh SOURCE_DIR BINARY_DIR HAVE_SHARED(0|1) MAN_PAGES(0|1) [EXTRA_FLAGS]
# (EXTRA_FLAGS: e.g. sanitizer flags the build used, needed to link its objects). Exit 77 (skipped)
# without dpkg-deb or dpkg-shlibdeps (Debian dpkg-dev).
set -euo pipefail
src=$1
bin=$2
have_shared=$3
man_pages=$4
extra=${5:-}
for t in dpkg-deb dpkg-shlibdeps file; do
  if ! command -v "$t" >/dev/null 2>&1; then
    echo "SKIPPED: $t not installed (scripts/setup-deps.sh installs dpkg-dev and file)"
    exit 77
  fi
done
tmp=$(mktemp -d /tmp/ssr-deb-test-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$bin/CMakeCache.txt")
release=$(sed -n 's/^SSR_DEB_RELEASE:STRING=//p' "$bin/CMakeCache.txt")
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$bin/CMakeCache.txt")
arch=$(dpkg --print-architecture)
debver="$version-$release"
if [ -z "$version" ] || [ -z "$release" ] || [ -z "$libdir" ]; then
  fail "version/release/libdir not in $bin/CMakeCache.txt"
fi

# 1. cpack (it builds the tree's `preinstall` first); the staging area stays in $tmp.
start=$(date +%s)
(cd "$bin" && cpack -G DEB --config CPackConfig.cmake -B "$tmp/out") >"$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log"; fail "cpack -G DEB failed"; }
echo "cpack: $(($(date +%s) - start)) s"
pkgs=(libssr-dev ssr-router)
[ "$have_shared" = 1 ] && pkgs=(libssr0 "${pkgs[@]}")
expected=$(for p in "${pkgs[@]}"; do echo "${p}_${debver}_${arch}.deb"; done | sort)
got=$(find "$tmp/out" -maxdepth 1 -name '*.deb' -printf '%f\n' | sort)
[ "$got" = "$expected" ] || fail "cpack made [$got], expected [$expected]"
deb() { echo "$tmp/out/${1}_${debver}_${arch}.deb"; }
for p in "${pkgs[@]}"; do echo "$(stat -c %s "$(deb "$p")") bytes: $(basename "$(deb "$p")")"; done

field() { dpkg-deb -f "$(deb "$1")" "$2"; }
expect_field() {  # package field value
  local v
  v=$(field "$1" "$2")
  [ "$v" = "$3" ] || fail "$1: $2 is \"$v\", expected \"$3\""
}
expect_depends() {  # package, then each needed entry: a package name, or "name (op version)"
  local p=$1 d entries
  shift
  d=$(field "$p" Depends)
  entries=${d//, /$'\n'}
  for w in "$@"; do
    grep -qxF "$w" <<<"$entries" || grep -qF "$w (" <<<"$entries" ||
      fail "$p: Depends lacks \"$w\": $d"
  done
}
for p in "${pkgs[@]}"; do
  expect_field "$p" Package "$p"
  expect_field "$p" Version "$debver"
  expect_field "$p" Architecture "$arch"
  expect_field "$p" Priority optional
  expect_field "$p" Source libssr
  maintainer=$(field "$p" Maintainer)
  grep -qE '^[^<]+ <[^@>]+@[^>]+>$' <<<"$maintainer" || fail "$p: Maintainer \"$maintainer\""
  desc=$(field "$p" Description)
  synopsis=$(echo "$desc" | head -n1)
  if [ -z "$synopsis" ] || [ "${#synopsis}" -gt 80 ]; then fail "$p: synopsis \"$synopsis\""; fi
  [ "$(echo "$desc" | wc -l)" -ge 3 ] || fail "$p: no long description: $desc"
  # dpkg-shlibdeps ran (only it knows the C library's package and version).
  if [ "$p" != libssr-dev ]; then expect_depends "$p" libc6 libstdc++6; fi
done
expect_field libssr-dev Section libdevel
expect_field ssr-router Section net
expect_depends libssr-dev libabsl-dev libprotobuf-dev libssl-dev libxdp-dev libbpf-dev
expect_depends ssr-router libxdp1 libbpf1 libssl3
if [ "$have_shared" = 1 ]; then
  expect_field libssr0 Section libs
  expect_depends libssr-dev "libssr0 (= $debver)"
  shlibs=$(dpkg-deb -I "$(deb libssr0)" shlibs)
  grep -q "^libssr 0 libssr0" <<<"$shlibs" ||
    fail "libssr0 has no shlibs entry for libssr.so.0"
  if grep -q libssr0 <<<"$(field ssr-router Depends)"; then
    expect_depends ssr-router libssr0
  fi
fi
conffiles=$(dpkg-deb -I "$(deb ssr-router)" conffiles)
for f in /etc/ssr/default.textproto /etc/ssr/router.env.example; do
  grep -qxF "$f" <<<"$conffiles" || fail "ssr-router: $f is not a conffile: $conffiles"
done
echo "control fields: ok"
for p in "${pkgs[@]}"; do echo "  $p Depends: $(field "$p" Depends)"; done

# 2. File lists.
list() { dpkg-deb -c "$(deb "$1")" | awk '{print $6}' | sed 's|^\./|/|'; }
expect_files() {  # package, then absolute paths
  local p=$1 l
  shift
  l=$(list "$p")
  for f in "$@"; do grep -qxF "$f" <<<"$l" || fail "$p lacks $f"; done
}
expect_absent() {  # package, then extended regexes no path may match
  local p=$1 l
  shift
  l=$(list "$p")
  for r in "$@"; do
    if grep -qE "$r" <<<"$l"; then fail "$p holds $(grep -E "$r" <<<"$l" | head -n3 | tr '\n' ' ')"; fi
  done
}
L=/usr/$libdir
for p in "${pkgs[@]}"; do
  d=/usr/share/doc/$p
  expect_files "$p" "$d/copyright" "$d/changelog.Debian.gz" "$d/LICENSE" \
    "$d/LICENSES/Apache-2.0.txt" "$d/LICENSES/GPL-2.0-only.txt" "$d/LICENSES/BSD-2-Clause.txt"
  # Nothing from the build or source tree, no test or benchmark program, no ssr-impair.
  expect_absent "$p" "$bin" "$src" "/tmp/" "_CPack_Packages" "CMakeFiles" "\.o$" "_test$" \
                     "(^|/)test/" "bench" "ssr-impair" "^/usr/local/"
done
expect_files libssr-dev /usr/include/ssr/router.h /usr/include/ssr/config.h \
  /usr/include/ssr/version.h "$L/libssr.a" "$L/cmake/ssr/ssrConfig.cmake" \
  "$L/cmake/ssr/ssrConfigVersion.cmake" "$L/pkgconfig/ssr.pc" \
  /usr/share/ssr/proto/ssr/config/v1/config.proto
expect_absent libssr-dev "^/usr/bin/" "^/etc/" "\.so\.[0-9]"
expect_files ssr-router /usr/bin/ssr-router /usr/bin/ssrctl /usr/bin/ssr-config-check \
  /usr/bin/ssr-pcap /usr/lib/systemd/system/ssr-router@.service /etc/ssr/default.textproto \
  /etc/ssr/router.env.example
if [ "$man_pages" = 1 ]; then
  expect_files ssr-router /usr/share/man/man1/ssr-router.1.gz /usr/share/man/man1/ssrctl.1.gz \
    /usr/share/man/man1/ssr-config-check.1.gz /usr/share/man/man1/ssr-pcap.1.gz
fi
expect_absent ssr-router "^/usr/include/" "\.a$" "\.so"
bins=$(list ssr-router | grep '^/usr/bin/.' | sort | tr '\n' ' ')
[ "$bins" = "/usr/bin/ssr-config-check /usr/bin/ssr-pcap /usr/bin/ssr-router /usr/bin/ssrctl " ] ||
  fail "ssr-router: programs are [$bins]"
if [ "$have_shared" = 1 ]; then
  expect_files libssr0 "$L/libssr.so.0" "$L/libssr.so.$version"
  expect_files libssr-dev "$L/libssr.so" "$L/pkgconfig/ssr-static.pc"
  expect_absent libssr0 "^/usr/include/" "\.a$" "\.pc$" "/cmake/" "/libssr\.so$" "^/usr/bin/"
fi
echo "file lists: ok"

# 3. Extract into a scratch root; nothing in a text file may name the build tree or cpack's
# staging directory (the unit's ExecStart, the CMake package, the .pc).
root=$tmp/root
for p in "${pkgs[@]}"; do dpkg-deb -x "$(deb "$p")" "$root"; done
leaks=$(grep -rlI -e "$bin" -e "_CPack_Packages" -e "$tmp" "$root" || true)
[ -z "$leaks" ] || fail "files naming the build tree: $leaks"
for f in "$root"/usr/share/man/man1/*.gz "$root"/usr/share/doc/*/changelog.Debian.gz; do
  [ -e "$f" ] || continue
  text=$(zcat "$f")
  if grep -qF -e "$bin" -e "_CPack_Packages" <<<"$text"; then fail "$f names the build tree"; fi
done
grep -qxF "ExecStart=/usr/bin/ssr-router --config \${SSR_CONFIG} --router %i \$SSR_INTERFACES \$SSR_ARGS" \
  "$root/usr/lib/systemd/system/ssr-router@.service" || fail "the unit does not run /usr/bin/ssr-router"
for line in "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/" \
            "Files: bpf/*" "License: GPL-2.0-only or BSD-2-Clause" "License: Apache-2.0"; do
  grep -qxF "$line" "$root/usr/share/doc/ssr-router/copyright" || fail "copyright lacks \"$line\""
done
first=$(zcat "$root/usr/share/doc/ssr-router/changelog.Debian.gz")
grep -qF "ssr-router ($debver)" <<<"${first%%$'\n'*}" ||
  fail "changelog.Debian.gz does not start with ssr-router ($debver)"
export LD_LIBRARY_PATH="$root$L"
for t in ssr-router ssrctl ssr-config-check; do
  out=$("$root/usr/bin/$t" --version) || fail "extracted $t --version exited $?"
  grep -qF "$version" <<<"$out" || fail "extracted $t --version: $out"
done
echo "extracted tree: ok"

check_version() {  # program, how it was built
  local out
  out=$("$1" --version) || fail "$2: embed-minimal --version exited $?"
  [ "$out" = "embed-minimal $version" ] || fail "$2: embed-minimal --version printed \"$out\""
  if [ "$have_shared" = 1 ]; then
    # (ldd's output in a variable: grep -q stopping early must not fail the pipe under pipefail)
    libs=$(ldd "$1")
    grep -qF "libssr.so.0 => $root/" <<<"$libs" ||
      fail "$2: libssr.so.0 not from the scratch root: $(grep -E 'libssr|not found' <<<"$libs")"
  fi
  echo "$2: embed-minimal --version: $out"
}
cmake -S "$src/examples/embed-minimal" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$root/usr" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra" \
      >"$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log"; fail "cmake against the scratch root"; }
grep -q "ssr_DIR:PATH=$root/usr/$libdir/cmake/ssr" "$tmp/cmake-build/CMakeCache.txt" ||
  fail "find_package(ssr) did not use the scratch root: $(grep ssr_DIR "$tmp/cmake-build/CMakeCache.txt")"
cmake --build "$tmp/cmake-build" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; fail "build with find_package(ssr)"; }
check_version "$tmp/cmake-build/embed-minimal" "find_package(ssr)"

export PKG_CONFIG_PATH="$root$L/pkgconfig"
[ "$(pkg-config --variable=prefix ssr)" -ef "$root/usr" ] ||
  fail "pkg-config: prefix $(pkg-config --variable=prefix ssr) is not the scratch root"
flags=$(pkg-config --cflags --libs ssr)
# shellcheck disable=SC2086
c++ $extra "$src/examples/embed-minimal/main.cc" -o "$tmp/embed-minimal-pc" $flags
check_version "$tmp/embed-minimal-pc" "pkg-config ssr"
if [ "$have_shared" = 1 ]; then
  # The static library stays available: pkg-config ssr-static links libssr.a.
  flags=$(pkg-config --cflags --libs ssr-static)
  # shellcheck disable=SC2086
  c++ $extra "$src/examples/embed-minimal/main.cc" -o "$tmp/embed-minimal-static" $flags
  out=$("$tmp/embed-minimal-static" --version) || fail "pkg-config ssr-static: --version exited $?"
  [ "$out" = "embed-minimal $version" ] || fail "pkg-config ssr-static: --version printed \"$out\""
  libs=$(ldd "$tmp/embed-minimal-static")
  if grep -q libssr.so <<<"$libs"; then
    fail "pkg-config ssr-static: linked the shared library"
  fi
  echo "pkg-config ssr-static: embed-minimal --version: $out"
fi

# 4. lintian (optional).
if command -v lintian >/dev/null 2>&1; then
  errors=0
  for p in "${pkgs[@]}"; do
    out=$(lintian --allow-root --tag-display-limit 0 "$(deb "$p")" 2>&1 || true)
    echo "lintian $p:"
    if [ -n "$out" ]; then echo "  ${out//$'\n'/$'\n'  }"; else echo "  (no finding)"; fi
    if grep -q "^E: " <<<"$out"; then errors=1; fi
  done
  [ "$errors" = 0 ] || fail "lintian reported errors"
else
  echo "lintian not installed: packages not linted"
fi
echo "packaging.deb: ok"
