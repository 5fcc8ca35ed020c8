#!/bin/sh
# Set up and tear down a configfs USB gadget whose FunctionFS functions a UsbGadget app then serves.
#
#   usb-gadget.sh setup    create the gadget, its FunctionFS functions and their mounts (no bind yet)
#   usb-gadget.sh bind     bind the gadget to the UDC (after the app has written its descriptors)
#   usb-gadget.sh unbind   unbind it from the UDC
#   usb-gadget.sh teardown unbind, unmount and remove everything, in reverse order, continuing past failures
#   usb-gadget.sh status   show the gadget, its UDC and its mounts
#
# Settings come from the environment (or an EnvironmentFile= in systemd); every one has a default:
#   GADGET_NAME=usbgadget  GADGET_VID=0x1d6b  GADGET_PID=0x0104  GADGET_BCD_DEVICE=0x0100
#   GADGET_BCD_USB=0x0200  GADGET_MANUFACTURER=UsbGadget  GADGET_PRODUCT="UsbGadget device"
#   GADGET_SERIAL=<machine id>  GADGET_MAX_POWER=250 (mA)  GADGET_FUNCTIONS="ffs0" (FunctionFS instance names)
#   GADGET_FFS_ROOT=/run/usbgadget/ffs (each instance is mounted at $GADGET_FFS_ROOT/<instance>)
#   GADGET_UDC=<the only UDC>  GADGET_OS_DESC=1 (MS OS descriptors, vendor code 0xcd, "MSFT100")
#   GADGET_SERVICE_USER="" (least privilege) a user to hand the gadget to: FunctionFS is mounted for it
#     (uid, gid, rmode=0550, fmode=0660) and the gadget's UDC attribute is chowned to it, so an app running as
#     that user (UsbGadget:Mode=Attach) can serve and bind this gadget and no other, without root.
#     GADGET_SERVICE_GROUP="" overrides its primary group.
#   GADGET_KERNEL_FUNCTIONS="" the kernel's own functions as TYPE.INSTANCE, linked in this order before the
#     FunctionFS ones: acm.NAME, ncm.NAME, ecm.NAME, rndis.NAME, mass_storage.NAME, hid.NAME, midi.NAME
#   GADGET_ATTRS="" their attributes as TYPE.INSTANCE/PATH=VALUE, written in order (values without spaces), e.g.
#     "mass_storage.disk/lun.0/ro=1 mass_storage.disk/lun.0/file=/srv/disk.img ncm.net/host_addr=02:00:00:00:00:02";
#     a lun.N other than lun.0 is created when named. NCM and RNDIS get Windows' compatible ids (WINNCM;
#     RNDIS 5162001) in their os_desc/interface.* group when GADGET_OS_DESC=1.
#
# The app writes its descriptors to ep0 in each mount; binding before that fails with ENODEV,
# which is why setup does not bind. UsbGadget apps in attach mode bind by themselves.
set -eu

GADGET_NAME=${GADGET_NAME:-usbgadget}
GADGET_VID=${GADGET_VID:-0x1d6b}
GADGET_PID=${GADGET_PID:-0x0104}
GADGET_BCD_DEVICE=${GADGET_BCD_DEVICE:-0x0100}
GADGET_BCD_USB=${GADGET_BCD_USB:-0x0200}
GADGET_MANUFACTURER=${GADGET_MANUFACTURER:-UsbGadget}
GADGET_PRODUCT=${GADGET_PRODUCT:-UsbGadget device}
GADGET_MAX_POWER=${GADGET_MAX_POWER:-250}
GADGET_FUNCTIONS=${GADGET_FUNCTIONS:-ffs0}
GADGET_FFS_ROOT=${GADGET_FFS_ROOT:-/run/usbgadget/ffs}
GADGET_OS_DESC=${GADGET_OS_DESC:-1}
GADGET_KERNEL_FUNCTIONS=${GADGET_KERNEL_FUNCTIONS:-}
GADGET_ATTRS=${GADGET_ATTRS:-}
GADGET_SERVICE_USER=${GADGET_SERVICE_USER:-}
GADGET_SERVICE_GROUP=${GADGET_SERVICE_GROUP:-}
CONFIGFS=${CONFIGFS:-/sys/kernel/config}

gadget_dir="$CONFIGFS/usb_gadget/$GADGET_NAME"

die() {
  echo "usb-gadget.sh: $*" >&2
  exit 1
}

warn() {
  echo "usb-gadget.sh: $*" >&2
}

default_serial() {
  if [ -r /etc/machine-id ]; then
    cut -c1-16 /etc/machine-id
  else
    echo 0123456789
  fi
}

check_environment() {
  [ "$(id -u)" -eq 0 ] || die "must run as root: configfs and mount need it (try: sudo $0 $*)"
  if [ ! -d "$CONFIGFS/usb_gadget" ]; then
    if ! grep -q " $CONFIGFS configfs " /proc/mounts; then
      mount -t configfs none "$CONFIGFS" 2>/dev/null ||
        die "configfs is not mounted at $CONFIGFS and mounting it failed (kernel without CONFIG_CONFIGFS_FS?)"
    fi
    [ -d "$CONFIGFS/usb_gadget" ] || modprobe libcomposite 2>/dev/null || true
    [ -d "$CONFIGFS/usb_gadget" ] ||
      die "$CONFIGFS/usb_gadget is missing: load the gadget framework with 'modprobe libcomposite'"
  fi
}

list_udcs() {
  for udc in /sys/class/udc/*; do
    [ -e "$udc" ] && printf '%s ' "${udc##*/}"
  done
}

pick_udc() {
  if [ -n "${GADGET_UDC:-}" ]; then
    [ -e "/sys/class/udc/$GADGET_UDC" ] || die "UDC '$GADGET_UDC' (GADGET_UDC) does not exist; present: $(list_udcs)"
    echo "$GADGET_UDC"
    return
  fi
  udcs=$(list_udcs)
  # shellcheck disable=SC2086 # word splitting counts the names
  set -- $udcs
  case "$#" in
    0) die "no USB device controller in /sys/class/udc. Raspberry Pi: add 'dtoverlay=dwc2' to config.txt and 'modules-load=dwc2' to cmdline.txt, then reboot (see boards/raspberry-pi.sh). Without hardware: 'modprobe dummy_hcd'." ;;
    1) echo "$1" ;;
    *) die "several UDCs present ($(list_udcs)): choose one with GADGET_UDC=<name>" ;;
  esac
}

write() {
  printf '%s\n' "$2" >"$1" || die "writing '$2' to $1 failed"
}

# The uid and gid FunctionFS is mounted for, or nothing when no service user is set; dies with one line on an unknown name.
service_ids() {
  [ -n "$GADGET_SERVICE_USER" ] || return 0
  uid=$(id -u "$GADGET_SERVICE_USER" 2>/dev/null) ||
    die "GADGET_SERVICE_USER '$GADGET_SERVICE_USER' is not a user on this system: create it ('useradd --system --no-create-home $GADGET_SERVICE_USER') or name an existing one"
  if [ -n "$GADGET_SERVICE_GROUP" ]; then
    gid=$(getent group "$GADGET_SERVICE_GROUP" | cut -d: -f3)
    [ -n "$gid" ] || die "GADGET_SERVICE_GROUP '$GADGET_SERVICE_GROUP' is not a group on this system: create it ('groupadd --system $GADGET_SERVICE_GROUP') or name an existing one"
  else
    gid=$(id -g "$GADGET_SERVICE_USER")
  fi
  echo "$uid $gid"
}

# Checks the kernel-function settings before anything is created: one line per problem, then exit.
check_kernel_functions() {
  problems=""
  for entry in $GADGET_KERNEL_FUNCTIONS; do
    case "$entry" in
      acm.?* | ncm.?* | ecm.?* | rndis.?* | mass_storage.?* | hid.?* | midi.?*) ;;
      *) problems="$problems
  GADGET_KERNEL_FUNCTIONS: '$entry' is not TYPE.INSTANCE with TYPE acm, ncm, ecm, rndis, mass_storage, hid or midi" ;;
    esac
  done
  for attr in $GADGET_ATTRS; do
    target=${attr%%/*} path=${attr#*/}
    name=${path%%=*} value=${attr#*=}
    case " $GADGET_KERNEL_FUNCTIONS " in
      *" $target "*) ;;
      *) problems="$problems
  GADGET_ATTRS: '$attr' names '$target', which is not in GADGET_KERNEL_FUNCTIONS" ;;
    esac
    case "$name" in
      */file)
        [ -z "$value" ] || [ -e "$value" ] || problems="$problems
  GADGET_ATTRS: '$attr': file '$value' does not exist; create the image first (truncate -s 64M $value; mkfs.vfat $value)" ;;
      dev_addr | host_addr)
        echo "$value" | grep -Eq '^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$' || problems="$problems
  GADGET_ATTRS: '$attr': '$value' is not a MAC address; write six hex pairs such as 02:00:00:00:00:01" ;;
    esac
  done
  [ -z "$problems" ] || die "invalid kernel-function settings; nothing was created:$problems"
}

create_kernel_functions() {
  for entry in $GADGET_KERNEL_FUNCTIONS; do
    mkdir "$gadget_dir/functions/$entry" ||
      die "cannot create kernel function $entry: is its module loaded? (modprobe usb_f_${entry%%.*})"
    for attr in $GADGET_ATTRS; do
      [ "${attr%%/*}" = "$entry" ] || continue
      path=${attr#*/}
      name=${path%%=*}
      case "$name" in
        lun.*/*) lun=${name%%/*}; [ -d "$gadget_dir/functions/$entry/$lun" ] || mkdir "$gadget_dir/functions/$entry/$lun" || die "cannot create $entry/$lun" ;;
      esac
      write "$gadget_dir/functions/$entry/$name" "${attr#*=}"
    done
    if [ "$GADGET_OS_DESC" = 1 ]; then
      # Windows binds UsbNcm / its RNDIS driver by these ids, without an .inf.
      case "$entry" in
        ncm.*) write "$gadget_dir/functions/$entry/os_desc/interface.ncm/compatible_id" WINNCM ;;
        rndis.*)
          write "$gadget_dir/functions/$entry/os_desc/interface.rndis/compatible_id" RNDIS
          write "$gadget_dir/functions/$entry/os_desc/interface.rndis/sub_compatible_id" 5162001 ;;
      esac
    fi
    ln -s "$gadget_dir/functions/$entry" "$gadget_dir/configs/c.1/"
  done
}

# A setup that fails half-way removes what it made: nothing is left in configfs.
undo_setup() {
  code=$?
  trap - EXIT
  if [ "$code" -ne 0 ] && [ -d "$gadget_dir" ]; then
    warn "setup failed; removing what it created"
    (teardown >/dev/null) || true
  fi
  exit "$code"
}

setup() {
  check_environment "$@"
  check_kernel_functions
  ids=$(service_ids)
  mount_options=""
  if [ -n "$ids" ]; then
    mount_options="-o uid=${ids% *},gid=${ids#* },rmode=0550,fmode=0660"
  fi
  if [ -d "$gadget_dir" ]; then
    udc=$(cat "$gadget_dir/UDC" 2>/dev/null || true)
    die "gadget '$GADGET_NAME' already exists${udc:+ and is bound to $udc}. If it is left over from a crashed run, remove it with '$0 teardown'; otherwise choose another GADGET_NAME."
  fi
  mkdir "$gadget_dir" || die "cannot create $gadget_dir"
  trap undo_setup EXIT
  write "$gadget_dir/idVendor" "$GADGET_VID"
  write "$gadget_dir/idProduct" "$GADGET_PID"
  write "$gadget_dir/bcdDevice" "$GADGET_BCD_DEVICE"
  write "$gadget_dir/bcdUSB" "$GADGET_BCD_USB"
  # Composite device: class info comes from each interface (IAD-capable defaults).
  write "$gadget_dir/bDeviceClass" 0xef
  write "$gadget_dir/bDeviceSubClass" 0x02
  write "$gadget_dir/bDeviceProtocol" 0x01

  mkdir -p "$gadget_dir/strings/0x409"
  write "$gadget_dir/strings/0x409/manufacturer" "$GADGET_MANUFACTURER"
  write "$gadget_dir/strings/0x409/product" "$GADGET_PRODUCT"
  write "$gadget_dir/strings/0x409/serialnumber" "${GADGET_SERIAL:-$(default_serial)}"

  config="$gadget_dir/configs/c.1"
  mkdir -p "$config/strings/0x409"
  write "$config/MaxPower" "$GADGET_MAX_POWER"
  write "$config/strings/0x409/configuration" "Default"

  if [ "$GADGET_OS_DESC" = 1 ] && [ -d "$gadget_dir/os_desc" ]; then
    # Windows asks for MS OS descriptors with this vendor code; the function's ext compat id
    # (WINUSB) then binds the generic driver without an .inf.
    write "$gadget_dir/os_desc/use" 1
    write "$gadget_dir/os_desc/b_vendor_code" 0xcd
    write "$gadget_dir/os_desc/qw_sign" MSFT100
    ln -s "$config" "$gadget_dir/os_desc/c.1"
  fi

  create_kernel_functions
  for instance in $GADGET_FUNCTIONS; do
    mkdir "$gadget_dir/functions/ffs.$instance" ||
      die "cannot create FunctionFS function ffs.$instance: is usb_f_fs available? (modprobe usb_f_fs)"
    ln -s "$gadget_dir/functions/ffs.$instance" "$config/"
    mkdir -p "$GADGET_FFS_ROOT/$instance"
    # shellcheck disable=SC2086 # mount_options is empty or one "-o list" pair
    mount -t functionfs $mount_options "$instance" "$GADGET_FFS_ROOT/$instance" ||
      die "mounting FunctionFS instance '$instance' at $GADGET_FFS_ROOT/$instance failed"
  done
  if [ -n "$ids" ]; then
    # configfs keeps an owner per attribute: the service may bind and unbind this gadget, and touch no other.
    chown "${ids% *}:${ids#* }" "$gadget_dir/UDC" || die "giving $gadget_dir/UDC to $GADGET_SERVICE_USER failed"
  fi
  trap - EXIT
  if [ -n "$ids" ]; then
    echo "gadget '$GADGET_NAME' created for $GADGET_SERVICE_USER; FunctionFS mounted under $GADGET_FFS_ROOT. Start the app as $GADGET_SERVICE_USER (UsbGadget:Mode=Attach)."
  else
    echo "gadget '$GADGET_NAME' created; FunctionFS mounted under $GADGET_FFS_ROOT. Start the app, then '$0 bind'."
  fi
}

bind() {
  check_environment "$@"
  [ -d "$gadget_dir" ] || die "gadget '$GADGET_NAME' does not exist: run '$0 setup' first"
  udc=$(pick_udc)
  for other in "$CONFIGFS"/usb_gadget/*; do
    [ "$other" = "$gadget_dir" ] && continue
    if [ "$(cat "$other/UDC" 2>/dev/null)" = "$udc" ]; then
      die "UDC $udc is busy: gadget '$(basename "$other")' is bound to it. Unbind it with: echo '' > $other/UDC"
    fi
  done
  if ! printf '%s\n' "$udc" >"$gadget_dir/UDC"; then
    die "binding to $udc failed. ENODEV: a FunctionFS function has not written its descriptors yet (is the app running?). ENOTSUPP: the UDC has too few endpoints for these functions. See dmesg."
  fi
  echo "gadget '$GADGET_NAME' bound to $udc"
}

unbind() {
  [ -e "$gadget_dir/UDC" ] || return 0
  if [ -n "$(cat "$gadget_dir/UDC" 2>/dev/null)" ]; then
    printf '\n' >"$gadget_dir/UDC" || warn "unbinding $GADGET_NAME failed"
  fi
}

teardown() {
  check_environment "$@"
  failures=0
  unbind || failures=$((failures + 1))
  # Unmount every FunctionFS instance of this gadget, wherever it was mounted.
  for function in "$gadget_dir"/functions/ffs.*; do
    [ -d "$function" ] || continue
    instance=${function##*/ffs.}
    awk -v dev="$instance" '$1 == dev && $3 == "functionfs" { print $2 }' /proc/mounts | while read -r mountpoint; do
      umount "$mountpoint" || warn "umount $mountpoint failed (a process still has ep files open? see: fuser -vm $mountpoint)"
      rmdir "$mountpoint" 2>/dev/null || true
    done
  done
  [ -d "$gadget_dir" ] || { echo "gadget '$GADGET_NAME' does not exist; nothing to remove"; return 0; }
  for link in "$gadget_dir"/os_desc/c.*; do
    [ -L "$link" ] && { rm "$link" || failures=$((failures + 1)); }
  done
  for config in "$gadget_dir"/configs/*; do
    [ -d "$config" ] || continue
    for link in "$config"/*; do
      [ -L "$link" ] && { rm "$link" || failures=$((failures + 1)); }
    done
    for strings in "$config"/strings/*; do
      [ -d "$strings" ] && { rmdir "$strings" || failures=$((failures + 1)); }
    done
    rmdir "$config" || failures=$((failures + 1))
  done
  for function in "$gadget_dir"/functions/*; do
    [ -d "$function" ] || continue
    # LUNs a setup added (mass_storage lun.1 ...) go before their function; lun.0 is the kernel's own.
    for lun in "$function"/lun.*; do
      [ -d "$lun" ] && [ "${lun##*/}" != lun.0 ] && { rmdir "$lun" || failures=$((failures + 1)); }
    done
    rmdir "$function" || failures=$((failures + 1))
  done
  for strings in "$gadget_dir"/strings/*; do
    [ -d "$strings" ] && { rmdir "$strings" || failures=$((failures + 1)); }
  done
  rmdir "$gadget_dir" || failures=$((failures + 1))
  [ "$failures" -eq 0 ] || die "teardown of '$GADGET_NAME' finished with $failures failed step(s); see the messages above"
  echo "gadget '$GADGET_NAME' removed"
}

status() {
  if [ ! -d "$gadget_dir" ]; then
    echo "gadget '$GADGET_NAME': not present"
    return 0
  fi
  echo "gadget '$GADGET_NAME': $(cat "$gadget_dir/idVendor"):$(cat "$gadget_dir/idProduct"), UDC '$(cat "$gadget_dir/UDC")'"
  for function in "$gadget_dir"/functions/*; do
    [ -d "$function" ] && echo "  function ${function##*/}"
  done
  grep " functionfs " /proc/mounts | sed 's/^/  mount /' || true
}

case "${1:-}" in
  setup) shift; setup "$@" ;;
  bind) shift; bind "$@" ;;
  unbind) shift; check_environment "$@"; unbind ;;
  teardown) shift; teardown "$@" ;;
  status) status ;;
  *) echo "usage: $0 setup|bind|unbind|teardown|status (settings via GADGET_* environment variables; see the header)" >&2; exit 2 ;;
esac
