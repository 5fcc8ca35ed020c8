#!/usr/bin/env python3
"""Writes FunctionFS descriptor and strings blobs to a real kernel, one case at a time, and reports its answer.

Usage: ffs_descriptor_check.py CASES_DIR

CASES_DIR/manifest.tsv has one case a line, "NAME<TAB>BIND" (BIND is 1 or 0), with NAME.desc and NAME.strings
beside it. For each case this creates configfs function ffs.NAME in one gadget, mounts its FunctionFS, writes the
descriptors blob and then the strings blob to ep0 (one write each, as f_fs requires), and with BIND=1 keeps ep0
open, binds the gadget to dummy_udc.0 (the kernel then runs its bind-time checks and the host side enumerates it)
and reads the interface strings the host's usbcore cached. Then it unbinds, closes ep0, unmounts and removes the
function. Prints one JSON object a line:

  {"case": NAME, "descriptors": "ok" | "EINVAL (22)", "strings": ..., "bind": "ok" | "skipped" | "ENOTSUPP (524)",
   "configured": true|false, "interfaces": {"0": "name" | null, ...}}

Exits 0 when every case ran (whatever the kernel said), non-zero if the harness itself failed.
"""
import ctypes
import errno
import glob
import json
import os
import subprocess
import sys
import time

GADGET = "/sys/kernel/config/usb_gadget/ffsprops"
MOUNTS = "/run/ffsprops"
VENDOR, PRODUCT = "1209", "000a"
UDC = "dummy_udc.0"
ERRNO_NAMES = dict(errno.errorcode)
ERRNO_NAMES.setdefault(524, "ENOTSUPP")  # kernel-internal, not in errno.h

libc = ctypes.CDLL(None, use_errno=True)


def put(path, value):
    with open(path, "w") as f:
        f.write(value)


def describe(error):
    return f"{ERRNO_NAMES.get(error.errno, '?')} ({error.errno})"


def find_device():
    for d in glob.glob("/sys/bus/usb/devices/*"):
        try:
            with open(d + "/idVendor") as v, open(d + "/idProduct") as p:
                if v.read().strip() == VENDOR and p.read().strip() == PRODUCT:
                    return d
        except OSError:
            continue
    return None


def read(path):
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            return f.read()
    except FileNotFoundError:
        return None


def bind_and_enumerate(result):
    try:
        put(GADGET + "/UDC", UDC)
    except OSError as e:
        result["bind"] = describe(e)
        return
    result["bind"] = "ok"
    try:
        device, end = None, time.monotonic() + 15
        while time.monotonic() < end:
            device = find_device()
            if device and (read(device + "/bConfigurationValue") or "").strip():
                break
            time.sleep(0.05)
        configured = bool(device and (read(device + "/bConfigurationValue") or "").strip())
        result["configured"] = configured
        if configured:
            interfaces = {}
            for i in sorted(glob.glob(device + ":1.*")):
                number = int(read(i + "/bInterfaceNumber"), 16)
                name = read(i + "/interface")
                interfaces[str(number)] = None if name is None else name[:-1] if name.endswith("\n") else name
            result["interfaces"] = interfaces
        else:
            result["kernel_log"] = subprocess.run(["dmesg"], capture_output=True, text=True).stdout.splitlines()[-12:]
    finally:
        put(GADGET + "/UDC", "\n")
        end = time.monotonic() + 10
        while find_device() and time.monotonic() < end:
            time.sleep(0.05)


def run_case(directory, name, bind):
    result = {"case": name}
    with open(os.path.join(directory, name + ".desc"), "rb") as f:
        descriptors = f.read()
    with open(os.path.join(directory, name + ".strings"), "rb") as f:
        strings = f.read()
    function = f"{GADGET}/functions/ffs.{name}"
    link = f"{GADGET}/configs/c.1/ffs.{name}"
    mount_point = f"{MOUNTS}/{name}"
    os.mkdir(function)
    os.symlink(function, link)
    os.makedirs(mount_point, exist_ok=True)
    if libc.mount(name.encode(), mount_point.encode(), b"functionfs", 0, None) != 0:
        raise OSError(ctypes.get_errno(), f"mount -t functionfs {name} {mount_point}")
    try:
        ep0 = os.open(mount_point + "/ep0", os.O_RDWR)
        try:
            try:
                os.write(ep0, descriptors)
                result["descriptors"] = "ok"
            except OSError as e:
                result["descriptors"] = describe(e)
            if result["descriptors"] == "ok":
                try:
                    os.write(ep0, strings)
                    result["strings"] = "ok"
                except OSError as e:
                    result["strings"] = describe(e)
            if bind and result.get("strings") == "ok":
                bind_and_enumerate(result)
            else:
                result["bind"] = "skipped"
        finally:
            os.close(ep0)
    finally:
        if libc.umount2(mount_point.encode(), 0) != 0:
            raise OSError(ctypes.get_errno(), f"umount {mount_point}")
        os.rmdir(mount_point)
        os.unlink(link)
        os.rmdir(function)
    return result


def main():
    directory = sys.argv[1]
    with open(os.path.join(directory, "manifest.tsv")) as f:
        cases = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    os.mkdir(GADGET)
    try:
        put(GADGET + "/idVendor", "0x" + VENDOR)
        put(GADGET + "/idProduct", "0x" + PRODUCT)
        os.mkdir(GADGET + "/configs/c.1")
        put(GADGET + "/configs/c.1/MaxPower", "100")
        for name, bind in cases:
            print(json.dumps(run_case(directory, name, bind == "1")), flush=True)
    finally:
        os.rmdir(GADGET + "/configs/c.1")
        os.rmdir(GADGET)


if __name__ == "__main__":
    main()
