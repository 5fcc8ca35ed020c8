#!/bin/busybox sh
# PID 1 of the test VM. Loads modules, mounts the host root (read-only 9p) and
# the writable exchange share, then runs the agent inside the chroot.
# @@SETTINGS@@ is replaced by the host with shell variable assignments.
/bin/busybox mkdir -p /proc /sys /dev /newroot /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

@@SETTINGS@@

say() { echo "usbgadget-vm: $*"; }
die() {
    say "FATAL: $*"
    say "dmesg tail:"
    dmesg | tail -n 40
    sync
    poweroff -f
}

say "loading modules"
while read -r file args; do
    [ -n "$file" ] || continue
    # shellcheck disable=SC2086 # args are module parameters, split on purpose
    insmod "/modules/$file" $args || die "insmod $file $args failed"
done < /modules/order

R=/newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=$MSIZE,cache=$ROOT_CACHE "$ROOT_TAG" $R || die "mounting the host root (9p tag $ROOT_TAG) failed"
mount -t proc proc $R/proc || die "mount proc"
mount -t sysfs sysfs $R/sys || die "mount sysfs"
mount -t devtmpfs devtmpfs $R/dev || die "mount devtmpfs"
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs tmpfs $R/dev/shm
mount -t configfs configfs $R/sys/kernel/config || die "mount configfs"
mount -t tmpfs -o mode=1777 tmpfs $R/tmp || die "mount tmpfs on /tmp"
mount -t tmpfs -o mode=755 tmpfs $R/run || die "mount tmpfs on /run"
mkdir -p $R/run/usbgadget-vm $R/run/usbgadget-vm-bin
mount -t 9p -o trans=virtio,version=9p2000.L,msize=$MSIZE "$SHARE_TAG" $R/run/usbgadget-vm || die "mounting the exchange share (9p tag $SHARE_TAG) failed"
cp /bin/busybox /agent.sh $R/run/usbgadget-vm-bin/ || die "copying the agent"
[ -d /sys/class/udc/dummy_udc.0 ] || die "dummy_udc.0 did not appear after loading dummy_hcd"
port=
for p in /sys/class/virtio-ports/*; do
    [ "$(cat $p/name 2>/dev/null)" = "$PORT_NAME" ] && port=/dev/${p##*/}
done
[ -n "$port" ] || die "virtio serial port $PORT_NAME not found (is virtio_console loaded?)"

say "starting agent"
chroot $R /run/usbgadget-vm-bin/busybox sh /run/usbgadget-vm-bin/agent.sh "$port"
say "agent exited ($?), powering off"
sync
poweroff -f
