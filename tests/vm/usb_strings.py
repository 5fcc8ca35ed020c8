"""Reads a device's string descriptors in every language it offers, with pyusb.

Usage: usb_strings.py VID PID   (hex)
Prints JSON: {"langids": [...], "strings": {"0x0409": {"manufacturer": ..., "product": ..., "serial": ...}, ...}}
"""
import json
import sys

import usb.core
import usb.util

vid, pid = (int(a, 16) for a in sys.argv[1:3])
dev = usb.core.find(idVendor=vid, idProduct=pid)
if dev is None:
    sys.exit(f"no device {vid:04x}:{pid:04x}")
langids = list(usb.util.get_langids(dev))
strings = {}
for lang in langids:
    strings[f"0x{lang:04x}"] = {
        "manufacturer": usb.util.get_string(dev, dev.iManufacturer, lang),
        "product": usb.util.get_string(dev, dev.iProduct, lang),
        "serial": usb.util.get_string(dev, dev.iSerialNumber, lang),
    }
print(json.dumps({"langids": langids, "strings": strings}, ensure_ascii=False))
