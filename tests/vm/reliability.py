#!/usr/bin/env python3
"""Reliability drills against the BulkLoopback gadget, run as root on the host side of the VM (pyusb over libusb).

    reliability.py churn --cycles 200 [--actions both|unbind|reset] [--interval 0] [--duration 0] [--gadget-pid PID] [--seed S]
    reliability.py backpressure --pause 60 [--gadget-pid PID] [--seed S]

churn: a traffic thread echoes numbered random transfers (1 B .. 32 KiB, some ending in a zero-length packet) and
compares every echo byte for byte, while the main thread pulls the plug: it alternates unbinding and rebinding the
gadget's UDC with host-side port resets (USBDEVFS_RESET), at a random moment while a transfer is in flight. After
each cycle the gadget must re-enumerate by itself and traffic must resume. A transfer interrupted by a cycle must be
reported to the host as failed; an echo that is not exactly the data just sent (stale data from before the cycle, a
duplicate, corruption) is a fault. With --duration and --interval it is a soak: one cycle every INTERVAL seconds.

backpressure: a writer thread keeps writing numbered transfers while the reader stops reading for PAUSE seconds, then
resumes; every transfer written must come back intact and in order. The gadget's CPU time and RSS over the pause
show whether it spins or buffers without bound.

With --gadget-pid, the gadget's open fds, RSS, threads and the system's AIO contexts (/proc/sys/fs/aio-nr) are
sampled after every cycle. Prints one line of JSON last; exits 1 on any fault, 2 when the device never appears.
"""
import argparse
import ctypes
import fcntl
import json
import os
import random
import resource
import sys
import threading
import time

import usb.backend.libusb1
import usb.core
import usb.util

USBDEVFS_RESET = 0x5514  # _IO('U', 20)
LIBUSB_TRANSFER_ADD_ZERO_PACKET = 1 << 3
_transfer_callback = usb.backend.libusb1._libusb_transfer_cb_fn_p
MAX_TRANSFER = 32768
MAX_PACKET = 512  # high speed bulk; a transfer of whole packets ends with a zero-length packet


def payload(seed, seq):
    """Transfer number seq: its number in the first 8 bytes, then bytes only it has, so a stale or duplicated echo is
    told apart from corruption. One in eight is a whole number of 512-byte packets (ends with a zero-length packet)."""
    rng = random.Random(seed * 1_000_003 + seq)
    size = rng.choice([8, 512, 1024, 16384]) if seq % 8 == 0 else rng.randint(8, MAX_TRANSFER)
    return seq.to_bytes(8, "little") + rng.randbytes(size - 8)


def classify(echo, expected_seq):
    if len(echo) >= 8:
        seq = int.from_bytes(echo[:8], "little")
        if seq != expected_seq:
            return f"stale or duplicated echo: transfer {seq} came back where {expected_seq} was expected"
    return f"corrupt echo of transfer {expected_seq}: {len(echo)} bytes"


_backends = []
_last_fresh = [0.0]


def backend_for_search():
    """The current libusb context, or a fresh one when the current one is over 0.25 s old: a context is created
    only while the gadget is away, a few per reconnect."""
    if not _backends or time.monotonic() - _last_fresh[0] > 0.25:
        _last_fresh[0] = time.monotonic()
        return fresh_backend()
    return _backends[-1]


def fresh_backend():
    """A new libusb context. libusb learns of hot-plugged devices from udev, which the VM does not run, so a context
    never sees the gadget come back after an unbind; a new context enumerates afresh. Old contexts are kept alive:
    pyusb would call libusb_exit when one is collected, under device objects that still point into it (a segfault)."""
    usb.backend.libusb1._lib_object = None
    _backends.append(usb.backend.libusb1.get_backend())
    return _backends[-1]


class Device:
    """The gadget as the host sees it, reopened after every disconnect."""

    def __init__(self, vid, pid):
        self.vid, self.pid = vid, pid
        self.dev = self.ep_out = self.ep_in = None
        self.last_error = "not found"

    def open(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                dev = usb.core.find(idVendor=self.vid, idProduct=self.pid, backend=backend_for_search())
                if dev is not None:
                    intf = dev.get_active_configuration()[(0, 0)]
                    if dev.is_kernel_driver_active(0):
                        dev.detach_kernel_driver(0)
                    usb.util.claim_interface(dev, 0)
                    self.ep_out = usb.util.find_descriptor(intf, custom_match=lambda e: not e.bEndpointAddress & 0x80)
                    self.ep_in = usb.util.find_descriptor(intf, custom_match=lambda e: e.bEndpointAddress & 0x80)
                    self.dev = dev
                    return True
                self.last_error = "not found"
            except (usb.core.USBError, NotImplementedError) as e:
                self.last_error = repr(e)
            time.sleep(0.05)
        return False

    def close(self):
        if self.dev is not None:
            try:
                usb.util.dispose_resources(self.dev)
            except usb.core.USBError:
                pass
        self.dev = None

    def path(self):
        return f"/dev/bus/usb/{self.dev.bus:03d}/{self.dev.address:03d}"

    def write(self, data, timeout_ms):
        """One host transfer, one URB: a transfer of whole packets ends with its zero-length packet inside the same
        URB (LIBUSB_TRANSFER_ADD_ZERO_PACKET). Sent as two writes, a port reset could fall between them: the reset
        discards the data the device had acknowledged, both writes report success, and the lone zero-length packet
        starts the host's next session."""
        if len(data) % self.ep_out.wMaxPacketSize:
            self.ep_out.write(data, timeout=timeout_ms)
            return
        backend = self.dev._ctx.backend
        self.dev._ctx.managed_open()
        self.dev._ctx.managed_claim_interface(self.dev, 0)
        lib, handle = backend.lib, self.dev._ctx.handle.handle
        done = []
        callback = _transfer_callback(lambda transfer: done.append(True))
        transfer = lib.libusb_alloc_transfer(0)
        try:
            buffer = ctypes.create_string_buffer(bytes(data), len(data))
            t = transfer.contents
            t.dev_handle, t.flags, t.endpoint, t.type = handle, LIBUSB_TRANSFER_ADD_ZERO_PACKET, self.ep_out.bEndpointAddress, 2
            t.timeout, t.length, t.buffer, t.callback, t.num_iso_packets = timeout_ms, len(data), ctypes.cast(buffer, ctypes.c_void_p), callback, 0
            usb.backend.libusb1._check(lib.libusb_submit_transfer(transfer))
            while not done:
                usb.backend.libusb1._check(lib.libusb_handle_events(backend.ctx))
            status, actual = int(t.status), int(t.actual_length)
        finally:
            lib.libusb_free_transfer(transfer)
        if status == 2:
            raise usb.core.USBTimeoutError("bulk write timed out", status, 110)
        if status != 0 or actual != len(data):
            raise usb.core.USBError(f"bulk write: libusb transfer status {status}, {actual} of {len(data)} bytes", status, 5)

    def read(self, size, timeout_ms):
        return bytes(self.ep_in.read(size + self.ep_in.wMaxPacketSize, timeout=timeout_ms))


class Resources:
    """The gadget process's footprint and the system's AIO contexts, sampled after every cycle."""

    def __init__(self, pid):
        self.pid, self.samples = pid, []

    def sample(self):
        if not self.pid:
            return
        status = dict(line.split(":", 1) for line in open(f"/proc/{self.pid}/status") if ":" in line)
        stat = open(f"/proc/{self.pid}/stat").read().rsplit(")", 1)[1].split()
        self.samples.append({
            "fds": len(os.listdir(f"/proc/{self.pid}/fd")),
            "rss_kb": int(status["VmRSS"].split()[0]),
            "threads": int(status["Threads"]),
            "aio_nr": int(open("/proc/sys/fs/aio-nr").read()),
            "cpu_s": (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK"),
        })

    def summary(self):
        if len(self.samples) < 2:
            return {}
        # The first sample is taken after the first cycle, once every lazy allocation of the steady state has happened.
        first, last = self.samples[0], self.samples[-1]
        summary = {key: {"first": first[key], "last": last[key], "max": max(s[key] for s in self.samples)}
                   for key in ("fds", "rss_kb", "threads", "aio_nr")}
        summary["rss_kb"]["samples"] = [s["rss_kb"] for s in self.samples]
        return summary


def churn(args, device, resources):
    faults, cycles = [], []
    state = {"seq": 0, "ok": 0, "bytes": 0, "failed": 0, "ok_since_cycle": 0, "stop": False, "zlp_may_cross": False, "zlp_crossed": 0}
    cut_at = []  # when each cycle pulled the plug (monotonic seconds)
    lock = threading.Lock()

    def traffic():
        while not state["stop"]:
            if device.dev is None and not device.open(60):
                faults.append(f"the device did not come back within 60 s (last error: {device.last_error})")
                return
            seq = state["seq"]
            data = payload(args.seed, seq)
            began = time.monotonic()
            try:
                device.write(data, 5000)
                echo = device.read(len(data), 5000)
                if echo == b"" and state["zlp_may_cross"]:
                    # The failed transfer before this one ended with a zero-length packet. Its echo's zero-length packet
                    # may still reach the host's next session: the gadget queued it as the kernel was enabling the
                    # endpoint again, before any transfer could show the reset. It carries no data; counted, not a fault.
                    state["zlp_crossed"] += 1
                    echo = device.read(len(data), 5000)
                state["zlp_may_cross"] = False
            except usb.core.USBError as e:
                # Reported to the host as a failed transfer: the loss is visible, which is what the drill demands, but
                # only a pulled plug excuses it. A failure with no cycle near it is the gadget losing data.
                if not any(began - 2.0 <= at <= time.monotonic() for at in cut_at):
                    faults.append(f"transfer {seq} failed with no disconnect near it: {e}")
                    state["stop"] = True
                with lock:
                    state["failed"] += 1
                    state["seq"] += 1
                    state["zlp_may_cross"] = len(data) % MAX_PACKET == 0
                device.close()
                continue
            with lock:
                state["seq"] += 1
                if echo == data:
                    state["ok"] += 1
                    state["bytes"] += len(data)
                    state["ok_since_cycle"] += 1
                else:
                    faults.append(classify(echo, seq))
                    state["stop"] = True

    if not device.open(60):
        print(json.dumps({"error": "no device"}))
        sys.exit(2)
    worker = threading.Thread(target=traffic, daemon=True)
    worker.start()
    rng = random.Random(args.seed)
    started = time.monotonic()
    i = 0
    while not faults:
        if args.duration and time.monotonic() - started >= args.duration:
            break
        if not args.duration and i >= args.cycles:
            break
        # Wait until traffic has resumed (three echoes verified since the last cycle), then cut in mid-transfer.
        resumed = time.monotonic()
        while state["ok_since_cycle"] < 3 and not faults:
            if time.monotonic() - resumed > 60:
                faults.append(f"traffic did not resume within 60 s after cycle {i}")
                break
            time.sleep(0.01)
        if faults:
            break
        if i > 0:
            cycles[-1]["resume_s"] = round(time.monotonic() - cycles[-1]["at"], 3)
        resources.sample()
        time.sleep(args.interval if args.interval else rng.uniform(0.05, 0.4))
        action = "unbind" if args.actions == "unbind" or (args.actions == "both" and (i % 2 == 0 or not device.dev)) else "reset"
        with lock:
            state["ok_since_cycle"] = 0
        at = time.monotonic()
        cut_at.append(at)
        if action == "unbind":
            udc = open(args.udc_file).read().strip()
            with open(args.udc_file, "w") as f:
                f.write("\n")
            time.sleep(rng.uniform(0.0, 0.3))
            with open(args.udc_file, "w") as f:
                f.write(udc + "\n")
        else:
            try:
                fd = os.open(device.path(), os.O_WRONLY)
                try:
                    fcntl.ioctl(fd, USBDEVFS_RESET, 0)
                finally:
                    os.close(fd)
            except (OSError, AttributeError):
                action = "reset (device already gone)"
        cycles.append({"action": action, "at": at})
        i += 1
        if i % 10 == 0:
            print(f"cycle {i}: {state['ok']} transfers verified, {state['failed']} reported failed", flush=True)

    resumed = time.monotonic()
    while state["ok_since_cycle"] < 3 and not faults and time.monotonic() - resumed < 60:
        time.sleep(0.01)
    if cycles and not faults:
        if state["ok_since_cycle"] < 3:
            faults.append(f"traffic did not resume within 60 s after cycle {len(cycles)}")
        else:
            cycles[-1]["resume_s"] = round(time.monotonic() - cycles[-1]["at"], 3)
    resources.sample()
    state["stop"] = True
    worker.join(10)
    resume = sorted(c["resume_s"] for c in cycles if "resume_s" in c)
    return faults, {
        "cycles": len(cycles),
        "unbinds": sum(c["action"] == "unbind" for c in cycles),
        "resets": sum(c["action"] == "reset" for c in cycles),
        "transfers_verified": state["ok"],
        "bytes_verified": state["bytes"],
        "transfers_reported_failed": state["failed"],
        "zlps_across_a_reset": state["zlp_crossed"],
        "resume_s_p50": resume[len(resume) // 2] if resume else None,
        "resume_s_max": resume[-1] if resume else None,
        "seconds": round(time.monotonic() - started, 1),
    }


def backpressure(args, device, resources):
    faults = []
    if not device.open(60):
        print(json.dumps({"error": "no device"}))
        sys.exit(2)
    total = args.transfers
    paused_at = total // 4
    written = [0]
    window = threading.Semaphore(total)  # the writer may run as far ahead as the gadget lets it
    timeout_ms = int((args.pause + 60) * 1000)

    def writer():
        try:
            for seq in range(total):
                window.acquire()
                device.write(payload(args.seed, seq), timeout_ms)
                written[0] += 1
        except usb.core.USBError as e:
            faults.append(f"OUT transfer {written[0]} failed: {e}")

    thread = threading.Thread(target=writer, daemon=True)
    started = time.monotonic()
    thread.start()
    verified = bytes_verified = 0
    pause = {}
    for seq in range(total):
        if seq == paused_at:
            resources.sample()
            before = written[0]
            time.sleep(args.pause)
            resources.sample()
            pause = {"written_before_pause": before, "written_during_pause": written[0] - before,
                     "gadget_cpu_s_during_pause": round(resources.samples[-1]["cpu_s"] - resources.samples[-2]["cpu_s"], 2)
                     if resources.pid else None}
        data = payload(args.seed, seq)
        try:
            echo = device.read(len(data), timeout_ms)
        except usb.core.USBError as e:
            faults.append(f"IN transfer {seq} failed: {e}")
            break
        if echo != data:
            faults.append(classify(echo, seq))
            break
        verified += 1
        bytes_verified += len(data)
    thread.join(10)
    resources.sample()
    return faults, {"transfers_written": written[0], "transfers_verified": verified, "bytes_verified": bytes_verified,
                    "pause_s": args.pause, **pause, "seconds": round(time.monotonic() - started, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("drill", choices=["churn", "backpressure"])
    parser.add_argument("--vid", type=lambda s: int(s, 16), default=0x1D6B)
    parser.add_argument("--pid", type=lambda s: int(s, 16), default=0x0105)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--gadget-pid", type=int, default=0)
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--duration", type=float, default=0, help="soak: run for this many seconds instead of --cycles")
    parser.add_argument("--interval", type=float, default=0, help="seconds of traffic between cycles (default: random, short)")
    parser.add_argument("--actions", choices=["both", "unbind", "reset"], default="both",
                        help="how the plug is pulled: UDC unbinds, host port resets, or both alternately")
    parser.add_argument("--udc-file", default="/sys/kernel/config/usb_gadget/bulkloopback/UDC")
    parser.add_argument("--pause", type=float, default=60)
    parser.add_argument("--transfers", type=int, default=400)
    args = parser.parse_args()

    # Each libusb context kept alive holds a few fds; a 200-cycle churn keeps a few hundred.
    resource.setrlimit(resource.RLIMIT_NOFILE, (65536, 65536))
    device = Device(args.vid, args.pid)
    resources = Resources(args.gadget_pid)
    faults, figures = (churn if args.drill == "churn" else backpressure)(args, device, resources)
    figures["resources"] = resources.summary()
    figures["faults"] = faults[:5]
    print(json.dumps(figures))
    sys.exit(1 if faults else 0)


if __name__ == "__main__":
    main()
