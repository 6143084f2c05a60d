#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Runs the crypto micro-benchmarks and `openssl speed` for the same primitives and sizes in one
# go, and prints a markdown table of ns/packet with ratios (ours / OpenSSL). Builds nothing.
#
# Usage: bench/crypto_vs_openssl.sh [path/to/crypto_bench] [seconds per openssl run]
#   default binary: build-crypto-rel/bench/micro/crypto_bench (a Release build, no sanitizers)
#
# Pairs (same primitive, same packet size):
#   HMAC-SHA256 sign/verify        vs `openssl speed -hmac sha256`  (keyed ctx re-init + MAC per call)
#   AES-CBC encrypt (+PKCS#7, IV)  vs `openssl speed -evp aes-N-cbc` (one EVP update per call on a
#                                     context set up once: no IV, no padding - a lower bound)
#   AES-CBC decrypt                vs `openssl speed -evp aes-N-cbc -decrypt`
#   AES-GCM seal/open (libssr ext) vs `openssl speed -aead -evp aes-N-gcm` (TLS-like: IV, 13-byte AAD,
#                                     update, tag per record), and plain `-evp aes-N-gcm` for reference
# Absolute numbers drift on shared VMs; the ratio within one run is the figure to quote.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${1:-$ROOT/build-crypto-rel/bench/micro/crypto_bench}
SECS=${2:-1}
SIZES="64 512 1400"
[[ -x $BENCH ]] || { echo "crypto_bench not found at $BENCH (build it in a Release dir)" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "# crypto_bench vs openssl speed ($(date -u +%FT%TZ), $(openssl version | cut -d' ' -f1-2), $(nproc) CPUs)"
echo
echo "Command: bench/crypto_vs_openssl.sh $BENCH $SECS"
echo

"$BENCH" --benchmark_format=json --benchmark_min_time=0.5 \
  --benchmark_filter='BM_(Sign|Verify|Encrypt|Decrypt|Protect|Unprotect|Copy|OpenSsl)' \
  >"$TMP/ours.json" 2>"$TMP/ours.err"

# openssl speed -mr prints "+F:<idx>:<alg>:<bytes per second>" for the one -bytes size.
speed() {  # label size args...
  local label=$1 size=$2
  shift 2
  local bps
  bps=$(openssl speed -mr -seconds "$SECS" -bytes "$size" "$@" 2>/dev/null |
    awk -F: '/^\+F:/ {print $NF}' | tail -1)
  echo "$label $size ${bps:-0}" >>"$TMP/openssl.txt"
}
for n in $SIZES; do
  speed hmac_sha256 "$n" -hmac sha256
  speed aes128cbc_enc "$n" -evp aes-128-cbc
  speed aes256cbc_enc "$n" -evp aes-256-cbc
  speed aes128cbc_dec "$n" -evp aes-128-cbc -decrypt
  speed aes256cbc_dec "$n" -evp aes-256-cbc -decrypt
  speed aes128gcm_aead "$n" -aead -evp aes-128-gcm
  speed aes256gcm_aead "$n" -aead -evp aes-256-gcm
  speed aes128gcm_evp "$n" -evp aes-128-gcm
  speed sha256 "$n" -evp sha256
done

python3 - "$TMP/ours.json" "$TMP/openssl.txt" <<'PY'
import json, sys
ours = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("run_type", "iteration") != "iteration":
        continue
    unit = {"ns": 1.0, "us": 1e3, "ms": 1e6}[b.get("time_unit", "ns")]
    ours[b["name"]] = b["cpu_time"] * unit
ossl = {}
for line in open(sys.argv[2]):
    label, size, bps = line.split()
    bps = float(bps)
    ossl[(label, int(size))] = int(size) / bps * 1e9 if bps > 0 else float("nan")

rows = [
    # (what, our benchmark, openssl label, note)
    ("HMAC-SHA256 sign (time-based)", "BM_Sign/sha256_time", "hmac_sha256", ""),
    ("HMAC-SHA256-128 sign (time-based)", "BM_Sign/sha256_128_time", "hmac_sha256", ""),
    ("HMAC-SHA256 sign (regular)", "BM_Sign/sha256_regular", "hmac_sha256", ""),
    ("HMAC-SHA256 verify (time-based)", "BM_Verify/sha256_time", "hmac_sha256", ""),
    ("HMAC-SHA256-128 verify (time-based)", "BM_Verify/sha256_128_time", "hmac_sha256", ""),
    ("OpenSSL EVP_MAC re-init per call, same binary", "BM_OpenSslHmacReinit", "hmac_sha256", ""),
    ("OpenSSL EVP_Q_mac one-shot, same binary", "BM_OpenSslHmacQMac", "hmac_sha256", ""),
    ("AES-128-CBC encrypt (+pad, IV gen)", "BM_Encrypt/aes_cbc_128", "aes128cbc_enc", ""),
    ("AES-256-CBC encrypt (+pad, IV gen)", "BM_Encrypt/aes_cbc_256", "aes256cbc_enc", ""),
    ("OpenSSL AES-128-CBC fresh ctx per call, same binary", "BM_OpenSslCbcFreshCtx/aes_128_cbc", "aes128cbc_enc", ""),
    ("AES-128-CBC decrypt (+unpad)*", "BM_Decrypt/aes_cbc_128", "aes128cbc_dec", ""),
    ("AES-256-CBC decrypt (+unpad)*", "BM_Decrypt/aes_cbc_256", "aes256cbc_dec", ""),
    ("AES-128-GCM seal (ext.)", "BM_Encrypt/aes_gcm_128", "aes128gcm_aead", ""),
    ("AES-256-GCM seal (ext.)", "BM_Encrypt/aes_gcm_256", "aes256gcm_aead", ""),
    ("AES-128-GCM open (ext.)*", "BM_Decrypt/aes_gcm_128", "aes128gcm_aead", ""),
    ("AES-256-GCM open (ext.)*", "BM_Decrypt/aes_gcm_256", "aes256gcm_aead", ""),
]
sizes = [64, 512, 1400]
print("ns per packet (CPU time); ratio = ours / openssl speed for the same primitive and size.\n")
print("| operation | OpenSSL reference | " + " | ".join(f"{s} B ours / openssl / ratio" for s in sizes) + " |")
print("| --- | --- | " + " | ".join("---" for _ in sizes) + " |")
for what, bench, label, _ in rows:
    cells = []
    for s in sizes:
        o = ours.get(f"{bench}/{s}")
        r = ossl.get((label, s))
        if o is None or r is None:
            cells.append("n/a")
        else:
            cells.append(f"{o:.0f} / {r:.0f} / {o / r:.2f}x")
    print(f"| {what} | `{label}` | " + " | ".join(cells) + " |")

print("\nFull packet protection (libssr policies, time-based), ns per packet:\n")
print("| policy | " + " | ".join(f"{s} B send / receive*" for s in sizes) + " |")
print("| --- | " + " | ".join("---" for _ in sizes) + " |")
for name in ["cbc128_sha256_128", "cbc256_sha256_128", "gcm128", "gcm256"]:
    cells = []
    for s in sizes:
        a, b = ours.get(f"BM_Protect/{name}/{s}"), ours.get(f"BM_Unprotect/{name}/{s}")
        cells.append("n/a" if a is None or b is None else f"{a:.0f} / {b:.0f}")
    print(f"| {name} | " + " | ".join(cells) + " |")

print("\nReference rows from the same openssl run (ns per packet):\n")
print("| openssl speed | " + " | ".join(f"{s} B" for s in sizes) + " |")
print("| --- | " + " | ".join("---" for _ in sizes) + " |")
for label, args in [("aes128gcm_evp", "-evp aes-128-gcm (stream update, no per-record IV/tag)"),
                    ("sha256", "-evp sha256 (one-shot digest)")]:
    print(f"| `{args}` | " + " | ".join(f"{ossl.get((label, s), float('nan')):.0f}" for s in sizes) + " |")
copy = " / ".join(f"{ours.get(f'BM_Copy/{s}', float('nan')):.0f}" for s in sizes)
print(f"\n\\* decrypt/receive rows include restoring the ciphertext each iteration (memcpy: {copy} ns"
      " at 64 / 512 / 1400 B).")
PY
