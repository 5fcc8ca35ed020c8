"""Host-side companion of the SerialCommand gadget, using pyusb (libusb).

    python3 command.py PING "ECHO hello" "ADD 2 40"    # each argument is one command line; prints each answer
    python3 command.py                                 # interactive: type commands, Ctrl+D to end

Linux: `sudo apt install python3-usb` (run as root, or add a udev rule for 1d6b:0107).
Windows: `pip install pyusb libusb-package` and bind WinUSB (e.g. with Zadig).
Exit code 0 when every answer starts with OK, 1 otherwise, 2 when the device is missing.
"""
import argparse
import sys

import usb.core
import usb.util


def find(vid, pid):
    dev = usb.core.find(idVendor=vid, idProduct=pid)
    if dev is None:
        print(f"no device {vid:04x}:{pid:04x}: is the gadget running and the cable in the device port?", file=sys.stderr)
        sys.exit(2)
    intf = dev.get_active_configuration()[(0, 0)]
    if dev.is_kernel_driver_active(intf.bInterfaceNumber):
        dev.detach_kernel_driver(intf.bInterfaceNumber)
    usb.util.claim_interface(dev, intf.bInterfaceNumber)
    ep_out = usb.util.find_descriptor(intf, custom_match=lambda e: usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_OUT)
    ep_in = usb.util.find_descriptor(intf, custom_match=lambda e: usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_IN)
    return dev, intf, ep_out, ep_in


def ask(ep_out, ep_in, command):
    """Writes one command line and reads its one answer line (the device ends each answer as one USB transfer)."""
    line = (command + "\n").encode()
    ep_out.write(line, timeout=5000)
    if len(line) % ep_out.wMaxPacketSize == 0:
        ep_out.write(b"", timeout=5000)  # a transfer of whole packets ends with a zero-length packet
    return bytes(ep_in.read(4096, timeout=5000)).decode().rstrip("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vid", type=lambda s: int(s, 16), default=0x1D6B)
    parser.add_argument("--pid", type=lambda s: int(s, 16), default=0x0107)
    parser.add_argument("commands", nargs="*", help="command lines to send; none: read them from standard input")
    args = parser.parse_args()
    dev, intf, ep_out, ep_in = find(args.vid, args.pid)
    commands = args.commands or (line.rstrip("\n") for line in sys.stdin)
    ok = True
    for command in commands:
        answer = ask(ep_out, ep_in, command)
        print(f"{command} -> {answer}")
        ok = ok and answer.startswith("OK")
    usb.util.release_interface(dev, intf.bInterfaceNumber)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
