#!/bin/sh
# Load the kernel's virtual USB controller pair (dummy_hcd), so a gadget on this machine enumerates on
# this machine's own USB host stack. No hardware needed; this is what the test VM does.
#   dummy-hcd.sh [high|super]   default: high. SuperSpeed needs SS descriptors in every function.
set -eu

speed=${1:-high}
[ "$(id -u)" -eq 0 ] || { echo "dummy-hcd.sh: must run as root" >&2; exit 1; }

case "$speed" in
  high) params="is_high_speed=Y is_super_speed=N" ;;
  super) params="is_high_speed=Y is_super_speed=Y" ;;
  *) echo "usage: $0 [high|super]" >&2; exit 2 ;;
esac

grep -q ' /sys/kernel/config configfs ' /proc/mounts || mount -t configfs none /sys/kernel/config
modprobe libcomposite
modprobe usb_f_fs
# shellcheck disable=SC2086 # params is a list of module parameters
modprobe dummy_hcd $params || {
  echo "dummy-hcd.sh: 'modprobe dummy_hcd' failed: this kernel has no dummy_hcd module (Debian's linux-image-amd64 has it; most distribution kernels for boards do not)" >&2
  exit 1
}
echo "UDC ready: $(ls /sys/class/udc)"
