#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Stands in for systemd's notification socket (sd_notify(3)): binds a datagram Unix socket at
# PATH and appends every message to OUT as one JSON line {"t": CLOCK_MONOTONIC seconds, "pid":
# the sender's pid (SCM_CREDENTIALS, as systemd checks NotifyAccess=main), "state": [the
# message's "KEY=VALUE" lines]}. Runs until killed.
#   notify_listener.py PATH OUT
import json
import os
import socket
import struct
import sys
import time

path, out = sys.argv[1], sys.argv[2]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
if os.path.exists(path):
    os.unlink(path)
sock.bind(path + ".tmp")  # appears under PATH only once it is bound
os.rename(path + ".tmp", path)
ucred = struct.calcsize("3i")
with open(out, "a", encoding="utf-8") as f:
    while True:
        data, ancdata, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(ucred))
        pid = None
        for level, kind, value in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("3i", value[:ucred])[0]
        state = data.decode("utf-8", "replace").split("\n")
        f.write(json.dumps({"t": time.monotonic(), "pid": pid, "state": state}) + "\n")
        f.flush()
