#!/bin/sh
# Prepare a BeagleBone (Black, Green, AI) to serve UsbGadget functions on its musb controller.
#   beaglebone.sh check   say what stands in the way (default)
#   beaglebone.sh apply   stop BeagleBoard's own USB gadget (network + serial + storage) for good
# BeagleBoard.org images bind their own composite gadget to the UDC at boot (bb-usb-gadgets, or
# am335x_evm.sh on older images), which leaves the UDC busy for anyone else.
set -eu

die() { echo "beaglebone.sh: $*" >&2; exit 1; }

configfs=/sys/kernel/config/usb_gadget

bound_gadgets() {
  for g in "$configfs"/*; do
    [ -f "$g/UDC" ] && [ -n "$(cat "$g/UDC")" ] && echo "${g##*/} -> $(cat "$g/UDC")"
  done
  return 0
}

case "${1:-check}" in
  check)
    for udc in /sys/class/udc/*; do
      [ -e "$udc" ] && echo "UDC: ${udc##*/}"
    done
    busy=$(bound_gadgets)
    if [ -n "$busy" ]; then
      echo "UDC busy, gadgets bound: $busy"
      echo "free it with: sudo $0 apply"
      exit 1
    fi
    lsmod 2>/dev/null | grep -q '^g_multi\|^g_ether' && { echo "a legacy gadget module is loaded (g_multi/g_ether): sudo modprobe -r g_multi g_ether"; exit 1; }
    echo "ready: run the gadget app or ../usb-gadget.sh setup"
    ;;
  apply)
    [ "$(id -u)" -eq 0 ] || die "must run as root (sudo $0 apply)"
    for unit in bb-usb-gadgets.service generic-board-startup.service; do
      if systemctl list-unit-files "$unit" >/dev/null 2>&1 && systemctl cat "$unit" >/dev/null 2>&1; then
        systemctl disable --now "$unit" || true
        echo "disabled $unit"
      fi
    done
    if [ -f /etc/default/bb-boot ]; then
      grep -q '^USB_CONFIGURATION=' /etc/default/bb-boot && sed -i 's/^USB_CONFIGURATION=.*/USB_CONFIGURATION=disable/' /etc/default/bb-boot
      grep -q '^USB_CONFIGURATION=' /etc/default/bb-boot || echo 'USB_CONFIGURATION=disable' >>/etc/default/bb-boot
    fi
    for g in "$configfs"/*; do
      [ -f "$g/UDC" ] && [ -n "$(cat "$g/UDC")" ] && { printf '\n' >"$g/UDC"; echo "unbound ${g##*/}"; }
    done
    modprobe -r g_multi g_ether 2>/dev/null || true
    modprobe libcomposite
    echo "done: the musb UDC is free for UsbGadget"
    ;;
  *) echo "usage: $0 check|apply" >&2; exit 2 ;;
esac
