#!/bin/sh
# Runs in the VM as root: the kernel's own SourceSink or Loopback (usb_f_ss_lb) as a configfs gadget, no user space.
#   kernel-function.sh setup FUNCTION PID [ATTRIBUTE=VALUE...]   create, set the function's attributes, bind
#   kernel-function.sh teardown FUNCTION                         unbind and remove
# SourceSink: bulk_buflen (bytes per request), bulk_qlen (requests queued per endpoint; the default is 1 at SuperSpeed),
# pattern (2 = no data check, like a sink that drops data). Loopback: bulk_buflen, qlen.
set -eu
G=/sys/kernel/config/usb_gadget/kbench
UDC=${UDC:-dummy_udc.0}
action=$1
func=$2
case "$action" in
setup)
  pid=$3
  shift 3
  [ -d /sys/module/usb_f_ss_lb ] || modprobe usb_f_ss_lb
  mkdir "$G" "$G/strings/0x409" "$G/configs/c.1" "$G/functions/$func.0"
  echo 0x1d6b > "$G/idVendor"
  echo "$pid" > "$G/idProduct"
  echo 0x0300 > "$G/bcdUSB"
  echo kernel > "$G/strings/0x409/manufacturer"
  echo "$func" > "$G/strings/0x409/product"
  for kv in "$@"; do echo "${kv#*=}" > "$G/functions/$func.0/${kv%%=*}"; done
  ln -s "$G/functions/$func.0" "$G/configs/c.1/"
  echo "$UDC" > "$G/UDC"
  ;;
teardown)
  [ -d "$G" ] || exit 0
  [ -z "$(cat "$G/UDC")" ] || echo "" > "$G/UDC"
  rm -f "$G/configs/c.1/$func.0"
  rmdir "$G/configs/c.1" "$G/functions/$func.0" "$G/strings/0x409" "$G"
  ;;
*) echo "usage: kernel-function.sh setup|teardown FUNCTION [PID ATTRIBUTE=VALUE...]" >&2; exit 2 ;;
esac
