#!/usr/bin/env python3
"""Run a command on a new pseudo-terminal of a given window size, as a user's terminal would.

    pty.py ROWS COLS [--send TEXT] -- CMD...

Prints everything the command writes to the terminal; when --send is given, TEXT and a
newline are typed once the output shows READY. Exits with the command's exit status
(124 after 60 s without an exit)."""
import fcntl, os, select, struct, subprocess, sys, termios, time

def main():
    args = sys.argv[1:]
    rows, cols = int(args[0]), int(args[1])
    send = None
    rest = args[2:]
    if rest[:1] == ["--send"]:
        send, rest = rest[1], rest[2:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def become_session_leader():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    child = subprocess.Popen(rest, stdin=slave, stdout=slave, stderr=slave,
                             preexec_fn=become_session_leader, close_fds=True)
    os.close(slave)
    out = b""
    deadline = time.time() + 60
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.5)
        if master in r:
            try:
                data = os.read(master, 4096)
            except OSError:
                break  # EIO: every holder of the terminal's other side is gone
            if not data:
                break
            out += data
            if send is not None and b"READY" in out:
                os.write(master, send.encode() + b"\n")
                send = None
        elif child.poll() is not None:
            break
    sys.stdout.write(out.decode(errors="replace"))
    sys.stdout.flush()
    try:
        code = child.wait(timeout=max(1, deadline - time.time()))
    except subprocess.TimeoutExpired:
        child.kill()
        sys.exit(124)
    sys.exit(code)

main()
