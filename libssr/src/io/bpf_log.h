// SPDX-License-Identifier: Apache-2.0
// Routes the messages libbpf and libxdp print (by default to stderr) to the libssr log sink
// (ssr/log.h), so the library keeps its promise of never writing to stderr by itself: component
// "libbpf" or "libxdp", levels WARN / INFO / DEBUG as kWarning / kInfo / kDebug, the trailing
// newline and the libraries' own "libbpf: " / "libxdp: " prefix removed.
//
// The print callbacks are process-wide: RouteBpfLibraryLogs installs them once per process (the
// first call; later calls do nothing), replacing whatever callback was installed before. Every
// libssr entry point that calls into libbpf or libxdp calls it first (io, gate, router), so an
// embedding that itself installs a callback should do that after creating its Router.
// Thread-safe.
#ifndef SSR_IO_BPF_LOG_H_
#define SSR_IO_BPF_LOG_H_

namespace ssr::io {

void RouteBpfLibraryLogs();

}  // namespace ssr::io

#endif  // SSR_IO_BPF_LOG_H_
