#!/bin/busybox sh
# PID 1 of the arm64 test VM. The host's binaries are x86-64 and cannot run here, so the guest's root is composed:
# the system directories (bin, sbin, lib, usr, etc) come from an arm64 userland unpacked from Debian packages
# (read-only 9p), every other top-level directory of the host (the checkout, /var/cache, /root, ...) from the host's
# own root (read-only 9p) at the same path. Then it mounts the writable exchange share and runs the agent in the chroot.
# @@SETTINGS@@ is replaced by the host with shell variable assignments.
/bin/busybox mkdir -p /proc /sys /dev /newroot /userland /hostroot /sbin /usr/bin /usr/sbin
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

mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize="$MSIZE",cache="$ROOT_CACHE" "$USERLAND_TAG" /userland || die "mounting the arm64 userland (9p tag $USERLAND_TAG) failed"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize="$MSIZE",cache="$ROOT_CACHE" "$ROOT_TAG" /hostroot || die "mounting the host root (9p tag $ROOT_TAG) failed"
R=/newroot
mount -t tmpfs -o mode=755 tmpfs $R || die "mount tmpfs on the new root"
for d in /userland/*; do
    name=${d##*/}
    if [ -L "$d" ]; then
        cp -a "$d" "$R/$name" || die "copying the link /$name"
    elif [ -d "$d" ]; then
        mkdir "$R/$name" || die "mkdir /$name"
        mount --bind "$d" "$R/$name" || die "binding /$name of the arm64 userland"
    fi
done
for d in /hostroot/*; do
    name=${d##*/}
    case $name in
        proc | sys | dev | tmp | run | lib32 | lib64 | libx32) continue ;;
    esac
    # Only real directories the userland lacks: the host's bin, lib*, usr and etc are x86-64 and stay hidden.
    if [ -d "$d" ] && [ ! -L "$d" ] && [ ! -e "$R/$name" ]; then
        mkdir "$R/$name" || die "mkdir /$name"
        mount --bind "$d" "$R/$name" || die "binding the host's /$name"
    fi
done
mkdir -p $R/proc $R/sys $R/dev $R/tmp $R/run
mount -t proc proc $R/proc || die "mount proc"
mount -t sysfs sysfs $R/sys || die "mount sysfs"
mount -t devtmpfs devtmpfs $R/dev || die "mount devtmpfs"
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs tmpfs $R/dev/shm
mount -t configfs configfs $R/sys/kernel/config || die "mount configfs"
mount -t tmpfs -o mode=1777 tmpfs $R/tmp || die "mount tmpfs on /tmp"
mount -t tmpfs -o mode=755 tmpfs $R/run || die "mount tmpfs on /run"
mkdir -p $R/run/usbgadget-vm $R/run/usbgadget-vm-bin/applets
mount -t 9p -o trans=virtio,version=9p2000.L,msize="$MSIZE" "$SHARE_TAG" $R/run/usbgadget-vm || die "mounting the exchange share (9p tag $SHARE_TAG) failed"
cp /bin/busybox /agent.sh $R/run/usbgadget-vm-bin/ || die "copying the agent"
# The userland has no coreutils or util-linux: busybox's applets stand in for them (env.sh puts them on PATH, last).
# The links point at /bin/busybox, which the userland has too (it is the same busybox-static package).
/bin/busybox --install -s $R/run/usbgadget-vm-bin/applets || die "installing the busybox applets"
# A real ld.so.cache: ctypes.util.find_library (pyusb finding libusb) asks 'ldconfig -p', and the host cannot
# build the cache for arm64. /etc is read-only, so the cache lives in /run and is bound over the empty placeholder.
chroot $R /sbin/ldconfig -X -C /run/usbgadget-vm-bin/ld.so.cache || die "ldconfig in the arm64 userland failed"
mount --bind $R/run/usbgadget-vm-bin/ld.so.cache $R/etc/ld.so.cache || die "binding ld.so.cache"
[ -d /sys/class/udc/dummy_udc.0 ] || die "dummy_udc.0 did not appear after loading dummy_hcd"
port=
for p in /sys/class/virtio-ports/*; do
    [ "$(cat "$p/name" 2>/dev/null)" = "$PORT_NAME" ] && port=/dev/${p##*/}
done
[ -n "$port" ] || die "virtio serial port $PORT_NAME not found (is virtio_console loaded?)"

say "starting agent"
chroot $R /run/usbgadget-vm-bin/busybox sh /run/usbgadget-vm-bin/agent.sh "$port"
say "agent exited ($?), powering off"
sync
poweroff -f
