#!/usr/bin/env python3
"""Host-side companion of the BulkLoopback gadget, using pyusb (libusb).

    python3 loopback.py                 # control requests + 8 MiB of random data echoed and compared
    python3 loopback.py --mib 64 --seed 7

Linux: `sudo apt install python3-usb` (run as root, or add a udev rule for 1d6b:0105).
Windows: `pip install pyusb libusb-package`; WinUSB binds by itself through the MS OS descriptors.
Exit code 0 when every byte came back intact, 1 on a mismatch, 2 when the device is missing.
"""
import argparse
import random
import sys
import time

import usb.core
import usb.util

GET_VERSION, STORE, READ_BACK = 0x01, 0x02, 0x03
VENDOR_IN = usb.util.CTRL_IN | usb.util.CTRL_TYPE_VENDOR | usb.util.CTRL_RECIPIENT_INTERFACE
VENDOR_OUT = usb.util.CTRL_OUT | usb.util.CTRL_TYPE_VENDOR | usb.util.CTRL_RECIPIENT_INTERFACE


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


def control(dev, intf):
    version = bytes(dev.ctrl_transfer(VENDOR_IN, GET_VERSION, 0, intf.bInterfaceNumber, 64)).decode()
    print(f"version: {version}")
    payload = bytes(range(32))
    dev.ctrl_transfer(VENDOR_OUT, STORE, 0, intf.bInterfaceNumber, payload)
    back = bytes(dev.ctrl_transfer(VENDOR_IN, READ_BACK, 0, intf.bInterfaceNumber, 64))
    print(f"store/read-back: {'ok' if back == payload else 'MISMATCH'}")
    return back == payload


def loopback(ep_out, ep_in, mib, seed):
    rng = random.Random(seed)
    packet = ep_out.wMaxPacketSize
    # Exactly one packet, one byte, a packet plus one, the gadget's 16 KiB read size, then random sizes.
    sizes = [packet, 1, packet + 1, 16384, 2 * packet]
    total = mib * 1024 * 1024
    while sum(sizes) < total:
        sizes.append(rng.randint(1, 65536))
    sent = 0
    start = time.monotonic()
    for i, size in enumerate(sizes):
        data = rng.randbytes(size)
        ep_out.write(data, timeout=5000)
        if size % packet == 0:
            ep_out.write(b"", timeout=5000)  # the zero-length packet that ends a transfer of whole packets
        # Read with room to spare, so the echo's own short or zero-length packet ends the read.
        echo = bytes(ep_in.read(size + packet, timeout=5000))
        if echo != data:
            first = next((j for j, (a, b) in enumerate(zip(echo, data)) if a != b), min(len(echo), len(data)))
            print(f"MISMATCH in transfer {i} of {size} bytes: got {len(echo)} bytes, first difference at byte {first}", file=sys.stderr)
            return False
        sent += size
    seconds = time.monotonic() - start
    print(f"loopback: {len(sizes)} transfers, {sent} bytes verified in {seconds:.1f} s ({sent / seconds / 1e6:.1f} MB/s)")
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vid", type=lambda s: int(s, 16), default=0x1D6B)
    parser.add_argument("--pid", type=lambda s: int(s, 16), default=0x0105)
    parser.add_argument("--mib", type=int, default=8, help="MiB of random data to echo (default 8)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-control", action="store_true")
    args = parser.parse_args()
    dev, intf, ep_out, ep_in = find(args.vid, args.pid)
    print(f"device {args.vid:04x}:{args.pid:04x}: OUT 0x{ep_out.bEndpointAddress:02x}, IN 0x{ep_in.bEndpointAddress:02x}, max packet {ep_out.wMaxPacketSize}")
    ok = args.skip_control or control(dev, intf)
    ok = loopback(ep_out, ep_in, args.mib, args.seed) and ok
    usb.util.release_interface(dev, intf.bInterfaceNumber)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
