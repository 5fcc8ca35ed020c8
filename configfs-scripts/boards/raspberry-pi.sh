#!/bin/sh
# Prepare a Raspberry Pi (Zero 2 W, 3A+, 4, 5, CM4) to act as a USB device through its dwc2 controller.
#   raspberry-pi.sh check   say what is missing (default)
#   raspberry-pi.sh apply   add the boot configuration lines, then ask for a reboot
# The dwc2 overlay switches the OTG port to peripheral mode; modules-load makes the kernel load the
# driver before the gadget service starts. Pi 4/5 use the USB-C power port as the device port.
set -eu

boot=/boot/firmware
[ -f "$boot/config.txt" ] || boot=/boot  # Raspberry Pi OS before Bookworm
config="$boot/config.txt"
cmdline="$boot/cmdline.txt"
overlay_line='dtoverlay=dwc2,dr_mode=peripheral'

die() { echo "raspberry-pi.sh: $*" >&2; exit 1; }

[ -f "$config" ] || die "no $config: is this Raspberry Pi OS?"

has_overlay() { grep -Eq '^[[:space:]]*dtoverlay=dwc2' "$config"; }
has_modules_load() { grep -q 'modules-load=[^ ]*dwc2' "$cmdline"; }

case "${1:-check}" in
  check)
    missing=0
    has_overlay || { echo "missing in $config: $overlay_line"; missing=1; }
    has_modules_load || { echo "missing in $cmdline: modules-load=dwc2 (on the single line, after rootwait)"; missing=1; }
    if [ -e /sys/class/udc ] && [ -n "$(ls /sys/class/udc 2>/dev/null)" ]; then
      echo "UDC present: $(ls /sys/class/udc)"
    else
      echo "no UDC in /sys/class/udc yet (expected until the lines above are in place and the Pi rebooted)"
      missing=1
    fi
    [ "$missing" -eq 0 ] && echo "ready: run the gadget app or ../usb-gadget.sh setup"
    exit "$missing"
    ;;
  apply)
    [ "$(id -u)" -eq 0 ] || die "must run as root (sudo $0 apply)"
    if ! has_overlay; then
      # [all] makes the line apply whatever model section came before it.
      printf '\n[all]\n%s\n' "$overlay_line" >>"$config"
      echo "added '$overlay_line' to $config"
    fi
    if ! has_modules_load; then
      cp "$cmdline" "$cmdline.bak"
      sed -i '1 s/$/ modules-load=dwc2/' "$cmdline"
      echo "added modules-load=dwc2 to $cmdline (backup: $cmdline.bak)"
    fi
    grep -qx libcomposite /etc/modules 2>/dev/null || echo libcomposite >>/etc/modules
    echo "reboot to switch the port to device mode: sudo reboot"
    ;;
  *) echo "usage: $0 check|apply" >&2; exit 2 ;;
esac
