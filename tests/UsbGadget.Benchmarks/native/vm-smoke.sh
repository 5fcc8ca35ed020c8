#!/bin/sh
# vm-smoke.sh: check ffs-reference and usb-bench-host against the real kernel, in one VM boot.
# Runs as root inside the VM (dummy_hcd loaded, configfs mounted); build with make first. From the repo root:
#
#   make -C tests/UsbGadget.Benchmarks/native
#   dotnet run -c Release --no-build --project src/UsbGadget.VmRunner -- exec --super-speed \
#     'sh /work/main/tests/UsbGadget.Benchmarks/native/vm-smoke.sh'
#
# Prints the client's result lines (prefixed with what ran) and ends with "smoke: PASS" or "smoke: FAIL (n)".
# SMOKE_SECONDS (default 3) sets the measured time per figure, SMOKE_QUICK=1 runs a small subset.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
BIN=${BIN:-$here/bin}
SECS=${SMOKE_SECONDS:-3}
QUICK=${SMOKE_QUICK:-0}
CFS=/sys/kernel/config/usb_gadget
UDC=${UDC:-dummy_udc.0}
WORK=$(mktemp -d)
failures=0

fail() { echo "smoke: FAIL: $*"; failures=$((failures + 1)); }

# The VmRunner's initramfs has them loaded already; elsewhere modprobe them.
for m in libcomposite usb_f_fs usb_f_ss_lb; do
  [ -d /sys/module/$m ] || modprobe $m || { echo "smoke: module $m is missing"; exit 1; }
done
speed=$(cat /sys/module/dummy_hcd/parameters/is_super_speed 2>/dev/null)
echo "smoke: kernel $(uname -r), dummy_hcd is_super_speed=$speed"

wait_device() { # VID:PID [present|absent]
  i=0
  while [ $i -lt 100 ]; do
    if lsusb -d "$1" >/dev/null 2>&1; then [ "${2:-present}" = present ] && return 0
    else [ "${2:-present}" = absent ] && return 0; fi
    sleep 0.1; i=$((i + 1))
  done
  return 1
}

bench() { # LABEL ARGS...: run the client, print its line, count failures
  label=$1; shift
  line=$("$BIN/usb-bench-host" --seconds "$SECS" "$@" 2>"$WORK/bench.err")
  rc=$?
  echo "$label $line"
  [ -s "$WORK/bench.err" ] && sed 's/^/    /' "$WORK/bench.err"
  [ $rc -eq 0 ] || fail "$label exited $rc"
  case "$line" in *" mismatches=0"*) ;; *) fail "$label: mismatches" ;; esac
}

# ---- the kernel's own SourceSink / Loopback (usb_f_ss_lb), to validate the client -----------------
kernel_gadget() { # PID FUNCTION KEY=VALUE...
  g=$CFS/kern; pid=$1; func=$2; shift 2
  mkdir $g $g/strings/0x409 $g/configs/c.1 $g/functions/$func.0 || return 1
  echo 0x1d6b >$g/idVendor; echo "$pid" >$g/idProduct; echo 0x0300 >$g/bcdUSB
  echo kernel >$g/strings/0x409/manufacturer; echo "$func" >$g/strings/0x409/product
  for kv in "$@"; do echo "${kv#*=}" >"$g/functions/$func.0/${kv%%=*}"; done
  ln -s $g/functions/$func.0 $g/configs/c.1/
  echo "$UDC" >$g/UDC && wait_device "1d6b:$pid"
}

kernel_gadget_remove() { # FUNCTION
  g=$CFS/kern
  echo "" >$g/UDC
  rm -f $g/configs/c.1/$1.0
  rmdir $g/configs/c.1 $g/functions/$1.0 $g/strings/0x409 $g
}

SIZES="512 4096 16384 65536"
[ "$QUICK" = 1 ] && SIZES="16384"
kernel_gadget 0x0108 Loopback bulk_buflen=16384 qlen=8 || fail "kernel Loopback setup"
bench "kernel-loopback" --pid 0x0108 --mode loopback --size 16384 --depth 8
bench "kernel-loopback" --pid 0x0108 --mode pingpong --size 512
kernel_gadget_remove Loopback

# ---- ffs-reference on a configfs gadget with one FunctionFS function --------------------------------
export GADGET_NAME=ref GADGET_PID=0x0106 GADGET_FUNCTIONS=ffs0 GADGET_FFS_ROOT=/run/ref GADGET_BCD_USB=0x0300
sh "$repo/configfs-scripts/usb-gadget.sh" setup >/dev/null || { echo "smoke: usb-gadget.sh setup failed"; exit 1; }

ref_pid=
ref_start() { # ffs-reference ARGS...
  rm -f "$WORK/ready"
  "$BIN/ffs-reference" --ffs /run/ref/ffs0 --bind "$CFS/ref/UDC=$UDC" --ready-file "$WORK/ready" "$@" \
    >"$WORK/ref.out" 2>"$WORK/ref.err" &
  ref_pid=$!
  i=0
  while [ ! -e "$WORK/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  wait_device 1d6b:0106 || { fail "ffs-reference $* did not enumerate"; cat "$WORK/ref.err"; return 1; }
}

ref_stop() { # SIGTERM must give exit 0, an unbound UDC and no AIO context left
  kill -TERM "$ref_pid" 2>/dev/null || echo "    ref: ffs-reference was already gone"
  wait "$ref_pid"; rc=$?
  [ $rc -eq 0 ] || fail "ffs-reference exited $rc on SIGTERM"
  [ -z "$(cat $CFS/ref/UDC)" ] || fail "UDC still bound after ffs-reference exited"
  [ "$(cat /proc/sys/fs/aio-nr)" = 0 ] || fail "aio-nr is $(cat /proc/sys/fs/aio-nr) after exit"
  grep -v '^ffs-reference: out_bytes' "$WORK/ref.err" | sed 's/^/    ref: /'
  wait_device 1d6b:0106 absent
}

# Same boot, interleaved per size: the kernel's SourceSink, then ffs-reference, twice (the figures are noisy).
for size in $SIZES; do
  for round in 1 2; do
    kernel_gadget 0x0107 SourceSink bulk_buflen=$size pattern=2 || { fail "kernel SourceSink setup"; continue; }
    bench "kernel-sourcesink" --pid 0x0107 --mode in --size $size --depth 8
    bench "kernel-sourcesink" --pid 0x0107 --mode out --size $size --depth 8
    kernel_gadget_remove SourceSink
    ref_start --mode source-sink --size $size --depth 8 || continue
    bench "ffs-reference" --pid 0x0106 --mode in --size $size --depth 8
    bench "ffs-reference" --pid 0x0106 --mode out --size $size --depth 8
    ref_stop
  done
done

DEPTHS="1 8 32"
[ "$QUICK" = 1 ] && DEPTHS="8"
for size in $SIZES; do
  for depth in $DEPTHS; do
    ref_start --mode loopback --size $size --depth $depth || continue
    bench "ffs-reference" --pid 0x0106 --mode loopback --size $size --depth $depth
    ref_stop
  done
done

ref_start --mode loopback --size 16384 --depth 8 && {
  bench "ffs-reference" --pid 0x0106 --mode pingpong --size 512
  bench "ffs-reference" --pid 0x0106 --mode pingpong --size 16384
  bench "ffs-reference" --pid 0x0106 --mode control
  # Device-recipient requests (0xC0) stall without FUNCTIONFS_ALL_CTRL_RECIP: the client must say so.
  line=$("$BIN/usb-bench-host" --pid 0x0106 --mode control --recipient device --seconds 0.2 --warmup 0 2>/dev/null)
  case "$line" in *" transfers=0 "*) echo "ffs-reference control --recipient device (expected to stall): $line" ;;
    *) fail "0xC0 requests reached a function without ALL_CTRL_RECIP: $line" ;; esac
  ref_stop
}
ref_start --mode loopback --size 16384 --depth 8 --all-ctrl-recip &&
  bench "ffs-reference --all-ctrl-recip" --pid 0x0106 --mode control --recipient device && ref_stop

# DISABLE without unbind: a bus reset disables the endpoints while blocks are queued; they must be
# requeued on the next ENABLE and the stream must work again.
ref_start --mode source-sink --size 16384 --depth 4 --verbose && {
  "$BIN/usb-bench-host" --pid 0x0106 --mode in --seconds 0.5 --warmup 0 >/dev/null 2>&1
  dev=$(lsusb -d 1d6b:0106 | sed -n 's/^Bus \([0-9]*\) Device \([0-9]*\).*/\1\/\2/p')
  usbreset "$dev" >/dev/null 2>&1 || usbreset 1d6b:0106 >/dev/null 2>&1 || fail "usbreset"
  sleep 1
  bench "ffs-reference after reset" --pid 0x0106 --mode in --size 16384 --depth 4
  ref_stop
}

sh "$repo/configfs-scripts/usb-gadget.sh" teardown >/dev/null 2>&1
rm -rf "$WORK"
if [ $failures -eq 0 ]; then echo "smoke: PASS"; else echo "smoke: FAIL ($failures)"; exit 1; fi
