#!/bin/sh
# A configfs gadget around one of the kernel's own functions (usb_f_ss_lb: Loopback or SourceSink),
# used by the end-to-end tests to prove the VM rig without any of our own gadget code.
#
# Usage: kernel-function-gadget.sh NAME VID PID FUNCTION [ATTRIBUTE=VALUE ...]
# Strings come from the environment: MANUFACTURER, PRODUCT, SERIAL (language 0x409) and
# MANUFACTURER_DE, PRODUCT_DE (language 0x407, optional).
#
# Prints "bound" once the gadget is bound to dummy_udc.0. On SIGTERM or SIGINT it unbinds and
# removes the gadget, prints "removed" and exits 0. Any failing step exits non-zero.
set -eu
name=$1 vid=$2 pid=$3 func=$4
shift 4
G=/sys/kernel/config/usb_gadget/$name

# Writes a configfs attribute with coreutils echo: dash's builtin reports every failed write as
# "I/O error", which hides the errno the kernel returned.
put() {
    /bin/echo "$1" > "$2" || { echo "writing '$1' to $2 failed" >&2; exit 1; }
}

teardown() {
    set +e
    trap - TERM INT
    kill "$sleeper" 2>/dev/null
    [ -n "$(cat "$G/UDC" 2>/dev/null)" ] && echo "" > "$G/UDC"
    rm -f "$G/configs/c.1/$func.0"
    rmdir "$G/configs/c.1/strings/0x409" "$G/configs/c.1" "$G/functions/$func.0" 2>/dev/null
    rmdir "$G"/strings/* 2>/dev/null
    if rmdir "$G"; then echo removed; exit 0; fi
    echo "could not remove $G" >&2
    exit 1
}

# The sleeper is forked before the trap exists: a child forked after it could, for a moment,
# run the trap itself when the group gets SIGTERM.
sleep 2147483647 &
sleeper=$!
trap 'kill $sleeper 2>/dev/null' EXIT
mkdir "$G"
trap teardown TERM INT
put "$vid" "$G/idVendor"
put "$pid" "$G/idProduct"
put 0x0100 "$G/bcdDevice"
mkdir "$G/strings/0x409"
put "$MANUFACTURER" "$G/strings/0x409/manufacturer"
put "$PRODUCT" "$G/strings/0x409/product"
put "$SERIAL" "$G/strings/0x409/serialnumber"
if [ -n "${PRODUCT_DE:-}" ]; then
    mkdir "$G/strings/0x407"
    put "$MANUFACTURER_DE" "$G/strings/0x407/manufacturer"
    put "$PRODUCT_DE" "$G/strings/0x407/product"
    put "$SERIAL" "$G/strings/0x407/serialnumber"
fi
mkdir "$G/functions/$func.0"
for setting in "$@"; do
    put "${setting#*=}" "$G/functions/$func.0/${setting%%=*}"
done
mkdir "$G/configs/c.1" "$G/configs/c.1/strings/0x409"
put "$func configuration" "$G/configs/c.1/strings/0x409/configuration"
put 100 "$G/configs/c.1/MaxPower"
ln -s "$G/functions/$func.0" "$G/configs/c.1/$func.0"
put dummy_udc.0 "$G/UDC"
echo bound
wait $sleeper || true
echo "the sleeper died without SIGTERM reaching this script" >&2
exit 1
