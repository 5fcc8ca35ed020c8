"""Bulk loopback integrity check with pyusb against a device that echoes OUT data on IN
(the kernel's Loopback function, or any gadget doing the same).

Usage: loopback_check.py VID PID TOTAL_BYTES CHUNK_BYTES SEED   (VID/PID hex)
Sends TOTAL_BYTES of seeded pseudo-random data in CHUNK_BYTES writes, reads each chunk back and
compares it byte for byte. Exits 1 at the first difference. Prints JSON with the figures.
"""
import json
import random
import sys
import time

import usb.core
import usb.util

vid, pid = (int(a, 16) for a in sys.argv[1:3])
total, chunk, seed = (int(a) for a in sys.argv[3:6])
dev = usb.core.find(idVendor=vid, idProduct=pid)
if dev is None:
    sys.exit(f"no device {vid:04x}:{pid:04x}")
intf = dev.get_active_configuration()[(0, 0)]
usb.util.claim_interface(dev, intf)
ep_out = usb.util.find_descriptor(intf, custom_match=lambda e: usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_OUT)
ep_in = usb.util.find_descriptor(intf, custom_match=lambda e: usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_IN)
if ep_out is None or ep_in is None:
    sys.exit("interface 0 has no bulk OUT/IN pair")

# Data a previous client left queued in the function would shift the stream: drain it first.
drained = 0
while True:
    try:
        drained += len(ep_in.read(65536, timeout=200))
    except usb.core.USBTimeoutError:
        break

rng = random.Random(seed)
sent = 0
start = time.monotonic()
while sent < total:
    n = min(chunk, total - sent)
    data = rng.randbytes(n)
    written = ep_out.write(data, timeout=10000)
    if written != n:
        sys.exit(f"short write at offset {sent}: {written} of {n}")
    back = bytearray()
    while len(back) < n:
        back += ep_in.read(n - len(back), timeout=10000)
    if back != data:
        first = next(i for i in range(n) if back[i] != data[i])
        sys.exit(f"data differs at offset {sent + first}: sent {data[first]:#04x}, got {back[first]:#04x}")
    sent += n
elapsed = time.monotonic() - start
usb.util.release_interface(dev, intf)
print(json.dumps({
    "bytes": sent,
    "seconds": round(elapsed, 3),
    "megabytesPerSecond": round(sent / elapsed / 1e6, 2),
    "drained": drained,
    "outMaxPacket": ep_out.wMaxPacketSize,
    "inMaxPacket": ep_in.wMaxPacketSize,
}))
