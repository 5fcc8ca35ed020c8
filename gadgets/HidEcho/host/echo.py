#!/usr/bin/env python3
"""Host-side companion of the HidEcho gadget, through Linux's hidraw (the kernel's own HID driver; no libusb, no
driver to install). Writes output reports, reads the echoes, and reads and sets the echo counter feature report.

    sudo python3 echo.py "hello"            # echo one message, print the counter
    sudo python3 echo.py --count 100 hi     # echo 100 times, check each, print the counter
    sudo python3 echo.py --reset hi         # set the counter to 0 first

Exits 1 with one line on stderr if the device is missing or an echo is wrong.
"""
import argparse
import fcntl
import glob
import os
import select
import struct
import sys

VID, PID = 0x1d6b, 0x0110
REPORT = 32  # report ID byte + 31 bytes of payload


def ioc(direction, number, size):  # _IOC from asm-generic/ioctl.h, type 'H' (hidraw)
    return direction << 30 | size << 16 | ord("H") << 8 | number


HIDIOCSFEATURE = ioc(3, 0x06, 5)  # _IOC_WRITE | _IOC_READ
HIDIOCGFEATURE = ioc(3, 0x07, 5)


def find_hidraw():
    for path in glob.glob("/sys/class/hidraw/hidraw*/device/uevent"):
        with open(path) as f:
            ids = dict(line.split("=", 1) for line in f.read().splitlines() if "=" in line)
        bus, vid, pid = (int(x, 16) for x in ids.get("HID_ID", "0:0:0").split(":"))
        if (vid, pid) == (VID, PID):
            return "/dev/" + path.split("/")[4]
    sys.exit(f"no HID device {VID:04x}:{PID:04x}: is the HidEcho gadget running and plugged in?")


def counter(fd):
    buf = bytearray([3, 0, 0, 0, 0])
    fcntl.ioctl(fd, HIDIOCGFEATURE, buf)
    return struct.unpack_from("<I", buf, 1)[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("message")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--reset", action="store_true")
    args = parser.parse_args()
    payload = args.message.encode()[:REPORT - 1].ljust(REPORT - 1, b"\0")
    fd = os.open(find_hidraw(), os.O_RDWR)
    if args.reset:
        fcntl.ioctl(fd, HIDIOCSFEATURE, bytes([3, 0, 0, 0, 0]))
    for i in range(args.count):
        os.write(fd, bytes([2]) + payload)  # output report 2, on the interrupt OUT endpoint
        if not select.select([fd], [], [], 10)[0]:
            sys.exit(f"echo {i}: no input report within 10 s")
        echo = os.read(fd, REPORT)
        if echo != bytes([1]) + payload:
            sys.exit(f"echo {i}: got {echo.hex()}, expected {(bytes([1]) + payload).hex()}")
    print(f"echoed {args.count}: {args.message}")
    print(f"counter {counter(fd)}")


if __name__ == "__main__":
    main()
