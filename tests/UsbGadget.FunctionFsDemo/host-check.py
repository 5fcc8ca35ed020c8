# Host side of the FunctionFsDemo check, run in the dummy_hcd VM with Debian's /usr/bin/python3 (pyusb):
# control requests (version, store/recall, truncation, stalls) and bulk loopback from 1 B to 4 MiB, then latency.
# Exit code 0 when every check passed. Used by hand through UsbGadget.Testing (GadgetVm.RunPythonAsync).
import sys, time, os
import usb.core, usb.util

dev = usb.core.find(idVendor=0x1209, idProduct=0x0001)
assert dev is not None, "device not found"
print("speed", dev.speed, "config", dev.get_active_configuration().bConfigurationValue)
try:
    if dev.is_kernel_driver_active(0):
        dev.detach_kernel_driver(0)
except Exception as e:
    print("detach:", e)
usb.util.claim_interface(dev, 0)
intf = dev.get_active_configuration()[(0, 0)]
EP_OUT = usb.util.find_descriptor(intf, custom_match=lambda e: usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_OUT).bEndpointAddress
EP_IN = usb.util.find_descriptor(intf, custom_match=lambda e: usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_IN).bEndpointAddress
print("endpoints OUT 0x%02x IN 0x%02x" % (EP_OUT, EP_IN))
results = {}

def check(name, cond, detail=""):
    results[name] = bool(cond)
    print(("PASS " if cond else "FAIL ") + name + (" " + str(detail) if detail else ""))

v = bytes(dev.ctrl_transfer(0xC0, 0x01, 0, 0, 64, timeout=5000))
check("vendor IN 0x01 version", v == b"UsbGadget.FunctionFsDemo 1.0", v)
v = bytes(dev.ctrl_transfer(0xC0, 0x01, 0, 0, 9, timeout=5000))
check("vendor IN 0x01 truncated to wLength", v == b"UsbGadget", v)
v = bytes(dev.ctrl_transfer(0xC1, 0x01, 0, 0, 64, timeout=5000))
check("vendor IN 0x01 to interface 0", v == b"UsbGadget.FunctionFsDemo 1.0", v)
n = dev.ctrl_transfer(0x40, 0x02, 0, 0, b"hello gadget", timeout=5000)
check("vendor OUT 0x02 store", n == 12, n)
v = bytes(dev.ctrl_transfer(0xC0, 0x03, 0, 0, 64, timeout=5000))
check("vendor IN 0x03 recall", v == b"hello gadget", v)

def stalls(fn):
    try:
        fn()
        return False
    except usb.core.USBError as e:
        return e.errno == 32 or "Pipe" in str(e)

check("vendor IN 0x05 stalls", stalls(lambda: dev.ctrl_transfer(0xC0, 0x05, 0, 0, 8, timeout=5000)))
check("vendor OUT 0x06 (no data) stalls", stalls(lambda: dev.ctrl_transfer(0x40, 0x06, 0, 0, None, timeout=5000)))
check("vendor OUT 0x07 with data stalls", stalls(lambda: dev.ctrl_transfer(0x40, 0x07, 0, 0, b"xyz", timeout=5000)))
check("class IN request stalls", stalls(lambda: dev.ctrl_transfer(0xA1, 0x01, 0, 0, 8, timeout=5000)))
v = bytes(dev.ctrl_transfer(0xC0, 0x01, 0, 0, 64, timeout=5000))
check("control works after stalls", v == b"UsbGadget.FunctionFsDemo 1.0", v)

import threading
ok = True
for size in [1, 64, 511, 512, 1000, 16384, 16385, 100000, 1 << 20, 4 << 20]:
    data = os.urandom(size)
    written = []
    def writer():
        # The gadget can hold only its queues' worth of data: write while reading, as a real client would.
        written.append(dev.write(EP_OUT, data, timeout=20000))
        if size % 512 == 0:
            dev.write(EP_OUT, b"", timeout=5000)  # end the transfer: the gadget's 16 KiB read waits for a short packet
    t = threading.Thread(target=writer)
    t0 = time.time()
    t.start()
    got = bytearray()
    while len(got) < size:
        got += bytes(dev.read(EP_IN, min(size - len(got), 1 << 20), timeout=20000))
    t.join()
    dt = time.time() - t0
    same = bytes(got) == data and written == [size]
    ok = ok and same
    check("loopback %d bytes" % size, same, "(%.2f MB/s each way)" % (size / dt / 1e6) if size >= 1 << 20 else "")

import struct
info = bytes(dev.ctrl_transfer(0xC0, 0x11, 0, 0, 64, timeout=5000))
print("ioctls (fifo_status, endpoint_revmap) per endpoint:", struct.unpack("<%di" % (len(info) // 4), info))
check("ioctls answered for both endpoints", len(info) == 16, info.hex())
try:
    dev.read(EP_IN, 16384, timeout=300)  # the zero-length packet echoed after the last multiple-of-512 transfer
except usb.core.USBError:
    pass
for n in [1, 10, 100]:
    t0 = time.time()
    for i in range(n):
        dev.write(EP_OUT, b"x" * 100, timeout=5000)
        dev.read(EP_IN, 100, timeout=5000)
    print("round trip 100 B x%d: %.2f ms each" % (n, (time.time() - t0) / n * 1000))
dev.ctrl_transfer(0x40, 0x10, 0, 0, None, timeout=5000)
check("bulk IN halted on purpose stalls the host's read", stalls(lambda: dev.read(EP_IN, 100, timeout=2000)))
dev.clear_halt(EP_IN)
dev.write(EP_OUT, b"after halt", timeout=5000)
v = bytes(dev.read(EP_IN, 100, timeout=5000))
check("loopback works again after CLEAR_FEATURE(HALT)", v == b"after halt", v)
total = 0
chunk = os.urandom(16000)
start = time.time()
while time.time() - start < 3:
    dev.write(EP_OUT, chunk, timeout=5000)
    got = bytes(dev.read(EP_IN, 16000, timeout=5000))
    if got != chunk:
        check("throughput data intact", False)
        break
    total += 16000
elapsed = time.time() - start
print("synchronous ping-pong 16000 B: %.2f MB/s each way" % (total / elapsed / 1e6))
usb.util.release_interface(dev, 0)
failed = [k for k, v in results.items() if not v]
print("SUMMARY", len(results) - len(failed), "passed", len(failed), "failed", failed)
sys.exit(1 if failed else 0)
