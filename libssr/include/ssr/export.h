// SPDX-License-Identifier: Apache-2.0
// SSR_EXPORT: marks the public API of libssr. The library is compiled with hidden visibility
// (-fvisibility=hidden -fvisibility-inlines-hidden), so only what carries SSR_EXPORT is exported
// from libssr.so; consumers see the attribute as a no-op-equivalent default visibility.
// Every public type lives in the inline namespace ssr::v0 (the ABI version, SSR_ABI_VERSION in
// ssr/version.h); users spell it ssr::X. An incompatible ABI change moves to ssr::v1, so a
// program built against one version fails to link against the other instead of misbehaving.
#ifndef SSR_EXPORT_H_
#define SSR_EXPORT_H_

#if defined(__GNUC__) || defined(__clang__)
#define SSR_EXPORT __attribute__((visibility("default")))
#else
#define SSR_EXPORT
#endif

#endif  // SSR_EXPORT_H_
