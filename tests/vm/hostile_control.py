"""Hostile control requests with pyusb: random bmRequestType, bRequest, wValue, wIndex and wLength (0..4096),
IN and OUT, each of which must be answered or stalled within the timeout; then the device must still work.

Usage: hostile_control.py VID PID COUNT SEED [TIMEOUT_MS]   (VID/PID hex; TIMEOUT_MS defaults to 10000)

A request counts as hung when it is neither answered nor stalled within TIMEOUT_MS. The default is 10 s, hundreds of
times the usual answer time: under software emulation on a loaded machine the whole VM can pause for a second or two,
so a tighter limit would report the emulator, not the gadget. Requests slower than 1 s are listed all the same.
Prints one line of JSON with the counts; exits 1 if any request hung or failed in another way.

Standard requests that change the device's state (SET_ADDRESS, SET_CONFIGURATION, SET_INTERFACE, SET_FEATURE and
CLEAR_FEATURE, SET_DESCRIPTOR, SET_SEL, SET_ISOCH_DELAY) are left out: the kernel's composite layer, not the function,
handles those, and obeying them (unconfiguring the device, test mode, ...) is correct behaviour, not a fault.
Half the requests are class/vendor requests aimed at interface 0, so they reach the function's own handler rather
than being stalled by the kernel for naming a foreign interface; one in ten is a request the function serves.
"""
import errno
import json
import random
import sys
import time

import usb.core

vid, pid = (int(a, 16) for a in sys.argv[1:3])
count, seed = int(sys.argv[3]), int(sys.argv[4])
timeout_ms = int(sys.argv[5]) if len(sys.argv) > 5 else 10000
dev = usb.core.find(idVendor=vid, idProduct=pid)
if dev is None:
    sys.exit(f"no device {vid:04x}:{pid:04x}")
for intf in dev.get_active_configuration():
    if dev.is_kernel_driver_active(intf.bInterfaceNumber):
        dev.detach_kernel_driver(intf.bInterfaceNumber)

STATE_CHANGING = {1, 3, 5, 7, 9, 11, 48, 49}
ENDPOINTS = [0x00] + [e.bEndpointAddress for e in dev.get_active_configuration()[(0, 0)]]
rng = random.Random(seed)
answered = stalled = 0
failures = []
slow = []
slowest = 0.0
start = time.monotonic()
for i in range(count):
    direction = rng.choice([0x00, 0x80])
    if i % 2 == 0:
        request_type = rng.choice([0x20, 0x40]) | 0x01 | direction  # class/vendor, interface 0
        index = 0
    else:
        # Any type (standard, class, vendor, reserved) to the device, interface 0 or one of its endpoints, with the
        # index the recipient needs: usbfs refuses to send a request naming an interface or endpoint that does not
        # exist (ENOENT/EINVAL on the host), so such a request would never reach the gadget.
        recipient = rng.choice([0, 1, 2])
        request_type = direction | rng.randrange(4) << 5 | recipient
        index = (rng.randrange(65536), rng.randrange(256) << 8, rng.choice(ENDPOINTS) | rng.randrange(256) << 8 & 0x7000)[recipient]
    request = rng.randrange(256)
    if request_type & 0x60 == 0 and request in STATE_CHANGING:
        request = 0  # GET_STATUS instead
    value = rng.randrange(65536)
    length = rng.choice([0, 1, 2, 8, 64, 255, 256, 512, 1024, 4096, rng.randrange(4097)])
    if i % 10 == 5:
        # Interleave the requests the function does serve (the BulkLoopback sample's vendor requests), with random
        # values and lengths, so data stages in both directions run between the hostile ones.
        request_type, request = rng.choice([(0xC1, 0x01), (0x41, 0x02), (0xC1, 0x03)])
        index = 0
        if request == 0x02:
            length = rng.randrange(257)
    data_or_length = length if request_type & 0x80 else bytes(rng.randrange(256) for _ in range(length))
    began = time.monotonic()
    try:
        dev.ctrl_transfer(request_type, request, value, index, data_or_length, timeout=timeout_ms)
        answered += 1
    except usb.core.USBTimeoutError:
        failures.append(("timeout", hex(request_type), hex(request), value, index, length))
    except usb.core.USBError as e:
        if e.errno == errno.EPIPE:
            stalled += 1
        else:
            failures.append((f"errno {e.errno}", hex(request_type), hex(request), value, index, length))
    took = time.monotonic() - began
    slowest = max(slowest, took)
    if took > 1.0:
        slow.append((round(took * 1000), hex(request_type), hex(request), value, index, length))
    if i % 100 == 0:
        print(f"progress {i} answered={answered} stalled={stalled} failures={len(failures)}", flush=True)
    if len(failures) >= 20:
        break

print(json.dumps({"requests": answered + stalled + len(failures), "answered": answered, "stalled": stalled,
                  "failures": len(failures), "first_failures": failures[:5], "slowest_ms": round(slowest * 1000), "over_1s": len(slow), "first_over_1s": slow[:5],
                  "seconds": round(time.monotonic() - start, 1)}))
sys.exit(1 if failures else 0)
