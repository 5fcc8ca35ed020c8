"""Hostile control requests with pyusb: random bmRequestType, bRequest, wValue, wIndex and wLength (0..4096),
IN and OUT, each of which must be answered or stalled within the timeout; then the device must still work.

Usage: hostile_control.py VID PID COUNT SEED [TIMEOUT_MS]   (VID/PID hex; TIMEOUT_MS defaults to 10000)

A request counts as hung when it is neither answered nor stalled within TIMEOUT_MS. The default is 10 s, hundreds of
times the usual answer time: under software emulation on a loaded machine the whole VM can pause for a second or two,
so a tighter limit would report the emulator, not the gadget. Requests slower than 1 s are listed all the same.
Prints one line of JSON with the counts; exits 1 if any request hung or failed in another way.

The emulated controller can lose a stall: dummy_hcd's set_halt writes ep->halted, a bit field, without the controller's
lock, while its timer rewrites the neighbouring bits (already_seen, setup_stage) under it on the other CPU, so once in
some 10,000-30,000 stalls the halt is overwritten and the host's request waits for its timeout. Real UDC drivers set
the halt under their lock. So the kernel's own record decides whose fault a timeout is: the gadget tracepoint
usb_ep_set_halt logs every halt the function set, and a marker in the trace precedes each request. A request that timed
out after the gadget halted ep0 for it counts as "stall_lost_by_dummy_hcd"; one without such a halt is a failure. Without
tracefs every timeout is a failure.

Standard requests that change the device's state (SET_ADDRESS, SET_CONFIGURATION, SET_INTERFACE, SET_FEATURE and
CLEAR_FEATURE, SET_DESCRIPTOR, SET_SEL, SET_ISOCH_DELAY) are left out: the kernel's composite layer, not the function,
handles those, and obeying them (unconfiguring the device, test mode, ...) is correct behaviour, not a fault.
Half the requests are class/vendor requests aimed at interface 0, so they reach the function's own handler rather
than being stalled by the kernel for naming a foreign interface; one in ten is a request the function serves.
"""
import errno
import json
import os
import random
import subprocess
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



class HaltTrace:
    """The kernel's record of the ep0 halts the gadget sets (tracepoint gadget:usb_ep_set_halt), a marker per request."""

    TRACING = "/sys/kernel/tracing"

    def __init__(self):
        self.marker = None
        event = f"{self.TRACING}/events/gadget/usb_ep_set_halt/enable"
        if not os.path.exists(event):
            subprocess.run(["mount", "-t", "tracefs", "tracefs", self.TRACING], capture_output=True)
        if not os.path.exists(event):
            return
        self._write("tracing_on", "0")
        self._write("trace", "")
        self._write("events/gadget/usb_ep_set_halt/enable", "1")
        self._write("tracing_on", "1")
        self.marker = os.open(f"{self.TRACING}/trace_marker", os.O_WRONLY)

    def _write(self, name, text):
        with open(f"{self.TRACING}/{name}", "w") as f:
            f.write(text)

    def mark(self, i):
        if self.marker is not None:
            os.write(self.marker, f"hostile-request {i}\n".encode())

    def halted_since_mark(self, i):
        """Whether the gadget halted ep0 after request i's marker."""
        if self.marker is None:
            return False
        with open(f"{self.TRACING}/trace") as f:
            lines = f.read().split("\n")
        start = max((n for n, line in enumerate(lines) if line.endswith(f"hostile-request {i}")), default=None)
        return start is not None and any("usb_ep_set_halt: ep0:" in line for line in lines[start + 1:])

    def close(self):
        if self.marker is not None:
            os.close(self.marker)
            self._write("events/gadget/usb_ep_set_halt/enable", "0")


halts = HaltTrace()
STATE_CHANGING = {1, 3, 5, 7, 9, 11, 48, 49}
ENDPOINTS = [0x00] + [e.bEndpointAddress for e in dev.get_active_configuration()[(0, 0)]]
rng = random.Random(seed)
answered = stalled = 0
failures = []
lost_stalls = []
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
    halts.mark(i)
    began = time.monotonic()
    try:
        dev.ctrl_transfer(request_type, request, value, index, data_or_length, timeout=timeout_ms)
        answered += 1
    except usb.core.USBTimeoutError:
        if halts.halted_since_mark(i):
            lost_stalls.append((i, hex(request_type), hex(request), value, index, length))
        else:
            failures.append(("timeout", i, hex(request_type), hex(request), value, index, length))
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

halts.close()
print(json.dumps({"requests": answered + stalled + len(lost_stalls) + len(failures), "answered": answered, "stalled": stalled,
                  "stalls_lost_by_dummy_hcd": len(lost_stalls), "first_lost_stalls": lost_stalls[:5],
                  "halts_traced": halts.marker is not None, "failures": len(failures), "first_failures": failures[:5], "slowest_ms": round(slowest * 1000), "over_1s": len(slow), "first_over_1s": slow[:5],
                  "seconds": round(time.monotonic() - start, 1)}))
sys.exit(1 if failures else 0)
