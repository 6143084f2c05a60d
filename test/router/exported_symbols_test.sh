#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# libssr.so exports the public API and nothing else: every defined dynamic symbol (nm -D, demangled)
# is in namespace ssr, or is the typeinfo / vtable / VTT / guard variable of something in ssr, or
# is the version node SSR_<ABI> of the version script (libssr.map). Anything else — abseil,
# protobuf, OpenSSL, libbpf, std:: template instantiations — is printed and fails the test. The
# symbols of the public entry points must be there (so an empty table does not pass).
# Usage: exported_symbols_test.sh LIBSSR_SO
set -eu
lib=$1
test -f "$lib" || { echo "FAIL: $lib not built"; exit 1; }
syms=$(nm -D --defined-only --demangle "$lib" | sed -E 's/^[0-9a-fA-F]* *[A-Za-z] //')
bad=$(echo "$syms" | grep -Ev '^((typeinfo|typeinfo name|vtable|VTT|guard variable) for )?ssr::' |
      grep -Evx 'SSR_[0-9]+' || true)
if [ -n "$bad" ]; then
  echo "FAIL: libssr.so exports symbols outside ssr::"
  echo "$bad"
  exit 1
fi
for want in 'ssr::v0::Router::Create(' 'ssr::v0::Config::LoadFile(' 'ssr::v0::Router::Start()' \
            'ssr::v0::Status::ToString' 'ssr::v0::Version()' 'ssr::v0::SetLogSink('; do
  echo "$syms" | grep -qF "$want" || { echo "FAIL: libssr.so does not export $want"; exit 1; }
done
echo "libssr.so: $(echo "$syms" | wc -l) exported symbols, all in ssr::: ok"
