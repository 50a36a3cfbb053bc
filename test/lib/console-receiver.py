#!/usr/bin/env python3
"""A console socket like containerd-shim's: receives the pty master a runtime sends over
SCM_RIGHTS, types INPUT into it, and prints what the terminal shows (until EOF/timeout).

    console-receiver.py SOCKET_PATH INPUT [TIMEOUT_SECONDS]

Prints 'name=<data sent with the fd>' first, then the terminal's output.
"""
import os
import socket
import sys
import time

path, text = sys.argv[1], sys.argv[2]
timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 10
try:
    os.unlink(path)
except FileNotFoundError:
    pass
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
srv.settimeout(timeout)
print("ready", flush=True)
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 4096, 1)
print("name=" + msg.decode(), flush=True)
master = fds[0]
os.write(master, text.encode())
out = b""
end = time.time() + timeout
while time.time() < end:
    try:
        data = os.read(master, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
sys.stdout.write(out.decode(errors="replace"))
