#!/usr/bin/env python3
"""Host-side companion of the HidKeyboard gadget: prints what the gadget types, as the host's own HID driver
(usbhid + evdev) delivers it, by reading the keyboard's /dev/input/event* device. Linux only; run as root.

    sudo python3 read_keys.py                      # print keys until Ctrl+C
    sudo python3 read_keys.py --lines 1 --timeout 60

It prints "ready" once it listens, then one line of text per Enter the keyboard types.
"""
import argparse
import glob
import os
import select
import struct
import sys
import time

EVENT = struct.Struct("llHHi")  # struct input_event on 64-bit Linux: timeval, type, code, value
EV_SYN, EV_KEY = 0, 1
SYN_DROPPED = 3
KEY_LEFTSHIFT, KEY_RIGHTSHIFT, KEY_ENTER = 42, 54, 28
# Linux input keycodes (input-event-codes.h) to characters on a US layout: (plain, shifted).
KEYS = {2: "1!", 3: "2@", 4: "3#", 5: "4$", 6: "5%", 7: "6^", 8: "7&", 9: "8*", 10: "9(", 11: "0)", 12: "-_", 13: "=+",
        15: "\t\t", 26: "[{", 27: "]}", 39: ";:", 40: "'\"", 41: "`~", 43: "\\|", 51: ",<", 52: ".>", 53: "/?", 57: "  "}
for code, letter in zip([16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 30, 31, 32, 33, 34, 35, 36, 37, 38, 44, 45, 46, 47, 48, 49, 50],
                        "qwertyuiopasdfghjklzxcvbnm"):
    KEYS[code] = letter + letter.upper()


def find_device(vid, pid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for sys_dir in glob.glob("/sys/class/input/event*"):
            try:
                with open(os.path.join(sys_dir, "device/id/vendor")) as f:
                    v = int(f.read(), 16)
                with open(os.path.join(sys_dir, "device/id/product")) as f:
                    p = int(f.read(), 16)
            except OSError:
                continue
            if (v, p) == (vid, pid):
                return "/dev/input/" + os.path.basename(sys_dir)
        time.sleep(0.2)
    print(f"no input device for {vid:04x}:{pid:04x} within {timeout} s: is the gadget running and usbhid loaded?", file=sys.stderr)
    sys.exit(2)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vid", type=lambda s: int(s, 16), default=0x1D6B)
    parser.add_argument("--pid", type=lambda s: int(s, 16), default=0x0104)
    parser.add_argument("--lines", type=int, default=0, help="exit after this many lines (default: never)")
    parser.add_argument("--timeout", type=float, default=0, help="give up after this many seconds (default: never)")
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout if args.timeout else None
    path = find_device(args.vid, args.pid, args.timeout or 3600)
    fd = os.open(path, os.O_RDONLY)
    print(f"ready: listening on {path}", flush=True)
    shift, line, lines = set(), [], 0
    while True:
        wait = None if deadline is None else deadline - time.monotonic()
        if wait is not None and wait <= 0:
            print(f"timed out; partial line: {''.join(line)!r}", file=sys.stderr)
            sys.exit(1)
        if not select.select([fd], [], [], wait)[0]:
            continue
        data = os.read(fd, EVENT.size * 64)
        for i in range(0, len(data), EVENT.size):
            _, _, etype, code, value = EVENT.unpack_from(data, i)
            if etype == EV_SYN and code == SYN_DROPPED:
                # evdev's buffer for this reader overflowed: keys were typed faster than we read them and are lost.
                print("evdev dropped events: this reader fell behind the keyboard (run it with a higher priority)",
                      file=sys.stderr, flush=True)
            if etype != EV_KEY:
                continue
            if code in (KEY_LEFTSHIFT, KEY_RIGHTSHIFT):
                (shift.add if value else shift.discard)(code)
            elif value == 1 and code == KEY_ENTER:
                print("".join(line), flush=True)
                line, lines = [], lines + 1
                if args.lines and lines >= args.lines:
                    return
            elif value == 1 and code in KEYS:
                line.append(KEYS[code][1 if shift else 0])


if __name__ == "__main__":
    main()
