#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Writes a copy of the built-in default config with the peer-hop security policy (and the voice
# service's payload policy) changed for one bench/run scenario.
#   make_config.py DEFAULT_TEXTPROTO VARIANT OUT
#   plain  no HMAC, no encryption (SVR metadata only)
#   hmac   HMAC-SHA256-128 (time-based), no encryption
#   cbc    HMAC-SHA256-128 + AES-256-CBC metadata (the default) + AES-256-CBC payload for voice
#   gcm    AES-256-GCM hop authentication and metadata encryption, no HMAC
#   gcm_enc  gcm + AES-256-GCM payload encryption (end to end) for voice: AEAD like WireGuard
import re
import sys

src, variant, out = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(src).read()
policies = {
    "plain": 'name: "peer-hop"\n  hmac: "none"\n  encryption_cipher: "none"\n',
    "hmac": 'name: "peer-hop"\n  hmac: "sha256-128"\n  hmac_mode: TIME_BASED\n'
            '  encryption_cipher: "none"\n  hmac_keys: "hop-hmac"\n',
    "cbc": None,
    "gcm": 'name: "peer-hop"\n  hmac: "none"\n  encryption_cipher: "aes-256-gcm"\n'
           '  encryption_keys: "hop-aes"\n',
}
policies["gcm_enc"] = policies["gcm"]
if variant not in policies:
    sys.exit(f"make_config.py: unknown variant {variant!r} (plain, hmac, cbc, gcm, gcm_enc)")
block = re.compile(r'security_policies \{\n  name: "peer-hop"\n.*?\n\}', re.S)
if not block.search(text):
    sys.exit("make_config.py: no peer-hop security policy in " + src)
if policies[variant] is not None:
    text = block.sub("security_policies {\n  " + policies[variant] + "}", text, count=1)
if variant == "gcm_enc":
    payload = re.compile(r'security_policies \{\n  name: "payload-aes"\n.*?\n\}', re.S)
    if not payload.search(text):
        sys.exit("make_config.py: no payload-aes security policy in " + src)
    text = payload.sub('security_policies {\n  name: "payload-aes"\n  hmac: "none"\n'
                       '  encryption_cipher: "aes-256-gcm"\n  encryption_keys: "payload-aes"\n}',
                       text, count=1)
if variant in ("cbc", "gcm_enc"):
    voice = re.compile(r'(services \{\n  name: "voice"\n.*?)(\n\})', re.S)
    text = voice.sub(r'\1\n  security_policy: "payload-aes"\2', text, count=1)
open(out, "w").write(text)
