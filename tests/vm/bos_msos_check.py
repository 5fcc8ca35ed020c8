#!/usr/bin/env python3
"""Reads what a host asks a device for WebUSB and MS OS 1.0, with pyusb, and prints it as one JSON object.

Usage: bos_msos_check.py VID PID webusb|msos

webusb: GET_DESCRIPTOR(BOS), the WebUSB platform capability in it (UUID 3408b638-09a9-47a0-8bfd-a0768815b665:
        bcdVersion, bVendorCode, iLandingPage), then the WebUSB GET_URL request (vendor, device recipient,
        wIndex 2) for the landing page, as Chrome does.
msos:   the OS string descriptor (index 0xEE: "MSFT100" + bMS_VendorCode), then the extended compat ID
        (vendor request, wIndex 4) and the extended properties (interface recipient, wIndex 5), as Windows does.
Exits 0 when the requests were answered (whatever they held), 1 when one stalled or the device is missing.
"""
import json
import struct
import sys
import uuid

import usb.core

WEBUSB_UUID = uuid.UUID("3408b638-09a9-47a0-8bfd-a0768815b665")
SCHEMES = {0: "http://", 1: "https://", 255: ""}


def webusb(dev):
    head = bytes(dev.ctrl_transfer(0x80, 6, 0x0F00, 0, 5, timeout=5000))
    total = struct.unpack_from("<H", head, 2)[0]
    bos = bytes(dev.ctrl_transfer(0x80, 6, 0x0F00, 0, total, timeout=5000))
    result = {"bcdUSB": "%04x" % dev.bcdUSB, "bos_length": len(bos), "capabilities": []}
    offset = bos[0]
    while offset + 3 <= len(bos):
        length, kind, capability = bos[offset], bos[offset + 1], bos[offset + 2]
        result["capabilities"].append(capability)
        if kind == 0x10 and capability == 0x05 and length >= 24:  # platform capability
            platform = uuid.UUID(bytes_le=bos[offset + 4:offset + 20])
            if platform == WEBUSB_UUID:
                version, vendor_code, landing = struct.unpack_from("<HBB", bos, offset + 20)
                result.update(webusb_version="%04x" % version, vendor_code=vendor_code, landing_page_index=landing)
                url = bytes(dev.ctrl_transfer(0xC0, vendor_code, landing, 2, 255, timeout=5000))
                result["url_descriptor_type"] = url[1]
                result["url"] = SCHEMES.get(url[2], "?") + url[3:url[0]].decode("utf-8")
        offset += max(length, 1)
    return result


def msos(dev):
    os_string = bytes(dev.ctrl_transfer(0x80, 6, 0x03EE, 0, 18, timeout=5000))
    signature = os_string[2:16].decode("utf-16-le")
    vendor_code = os_string[16]
    compat = bytes(dev.ctrl_transfer(0xC0, vendor_code, 0, 4, 40, timeout=5000))
    properties = bytes(dev.ctrl_transfer(0xC1, vendor_code, 0, 5, 4096, timeout=5000))
    return {
        "signature": signature,
        "vendor_code": vendor_code,
        "compat_bcd": "%04x" % struct.unpack_from("<H", compat, 4)[0],
        "compat_first_interface": compat[16],
        "compatible_id": compat[18:26].rstrip(b"\0").decode("ascii"),
        "properties_bcd": "%04x" % struct.unpack_from("<H", properties, 4)[0],
        "properties": extended_properties(properties),
    }


def extended_properties(blob):
    count = struct.unpack_from("<H", blob, 8)[0]
    offset, found = 10, {}
    for _ in range(count):
        size, kind, name_length = struct.unpack_from("<IIH", blob, offset)
        name = blob[offset + 10:offset + 10 + name_length].decode("utf-16-le").rstrip("\0")
        data_length = struct.unpack_from("<I", blob, offset + 10 + name_length)[0]
        data = blob[offset + 14 + name_length:offset + 14 + name_length + data_length]
        found[name] = data.decode("utf-16-le").rstrip("\0") if kind in (1, 2, 7) else data.hex()
        offset += size
    return found


def main():
    vid, pid, mode = int(sys.argv[1], 16), int(sys.argv[2], 16), sys.argv[3]
    dev = usb.core.find(idVendor=vid, idProduct=pid)
    if dev is None:
        print(json.dumps({"error": "device %04x:%04x not found" % (vid, pid)}))
        return 1
    try:
        print(json.dumps(webusb(dev) if mode == "webusb" else msos(dev)))
    except usb.core.USBError as error:
        print(json.dumps({"error": str(error)}))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
