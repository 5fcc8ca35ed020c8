#!/usr/bin/python3
"""Sends text both ways between the host's CDC ACM tty and the gadget's u_serial tty (both in this VM) and checks it.

Usage: serial_roundtrip.py HOST_TTY GADGET_TTY
Prints one line per direction; exits 1 with the reason when a line does not come back byte for byte within 10 s.
"""
import os, select, sys, termios, time, tty

def open_raw(path):
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    tty.setraw(fd)  # no echo, no line editing, no CR/LF translation: bytes in are bytes out
    attrs = termios.tcgetattr(fd)
    attrs[4] = attrs[5] = termios.B115200
    termios.tcsetattr(fd, termios.TCSANOW, attrs)
    termios.tcflush(fd, termios.TCIOFLUSH)
    return fd

def send(src, dst, text, label):
    data = text.encode()
    os.write(src, data)
    got = b""
    deadline = time.monotonic() + 10
    while len(got) < len(data) and time.monotonic() < deadline:
        r, _, _ = select.select([dst], [], [], 0.5)
        if r:
            got += os.read(dst, 4096)
    if got != data:
        print(f"{label}: sent {data!r}, received {got!r}", file=sys.stderr)
        sys.exit(1)
    print(f"{label}: {len(data)} bytes ok")

host = open_raw(sys.argv[1])
gadget = open_raw(sys.argv[2])
send(host, gadget, "hello gadget from ttyACM, with umlauts: äöü\n" * 20, "host->gadget")
send(gadget, host, "hello host from ttyGS \x00\x01\xff-binary-safe\n" * 20, "gadget->host")
