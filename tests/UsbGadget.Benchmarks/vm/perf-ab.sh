#!/bin/sh
# Runs in the VM as root: CPU per transfer of gadget builds, measured with perf, the builds taking turns.
#   perf-ab.sh ROUNDS "MODE:SIZE:DEPTH ..." BUILD...
# MODE is in, out or loopback. BUILD is "C" (the C reference), "C" followed by more ffs-reference options in the
# same argument (such as 'C --wake-call-kib 640', the emulation experiment in the README), or a directory holding a
# published UsbGadget.Benchmarks.Gadget. Start it with the VM runner from the repository root, after the usb benchmark (or a
# publish) has built the gadgets and the C programs (the guest sees the host's files, but starts elsewhere: give the
# script's absolute path; a relative BUILD is taken from the repository root):
#   dotnet run -c Release --project src/UsbGadget.VmRunner -- exec --super-speed \
#     "sh $PWD/tests/UsbGadget.Benchmarks/vm/perf-ab.sh 3 'out:512:8' C artifacts/nativeaot/UsbGadget.Benchmarks.Gadget /var/tmp/other-build"
# Each run starts the gadget fresh, drives it with usb-bench-host for 14 s, and samples the gadget process with perf
# (cpu-clock, 999 Hz) for 5 s of that. It prints one line per run:
#   POINT BUILD: samples=N tps=N samples/transfer=N user=P%
# samples/transfer is the gadget's CPU per transfer in milliseconds, about; user is the share outside the kernel.
# Under emulation this separates builds far better than MB/s does: a throughput cell moves by 10-20 % between rounds.
# With PERF_AB_SYMBOLS=N in the environment, each run also prints its N hottest symbols (user and kernel), indented.
# With PERF_AB_PIN=split, the gadget runs on CPU 1 and the host client on CPU 0 (taskset), so the gadget's CPU
# switches to no other process's address space.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
host=$root/artifacts/native/usb-bench-host
reference=$root/artifacts/native/ffs-reference
if ! command -v perf >/dev/null 2>&1; then
  echo "perf-ab.sh: perf is missing; install it on the host machine (apt-get install linux-perf), whose root the VM sees" >&2
  exit 2
fi
if [ ! -x "$host" ] || [ ! -x "$reference" ]; then
  echo "perf-ab.sh: $host or $reference is missing; build them with: make -C tests/UsbGadget.Benchmarks/native" >&2
  exit 2
fi
if [ $# -lt 3 ]; then
  echo "usage: perf-ab.sh ROUNDS \"MODE:SIZE:DEPTH ...\" BUILD..." >&2
  exit 2
fi
rounds=$1
points=$2
shift 2
setup="GADGET_NAME=ffsref GADGET_PID=0x0106 GADGET_FUNCTIONS=ffs0 GADGET_FFS_ROOT=/run/ffsref GADGET_BCD_USB=0x0300 GADGET_PRODUCT=ref sh $root/configfs-scripts/usb-gadget.sh"
out=$(mktemp -d)

# run BUILD MODE SIZE DEPTH: one measured run; prints the line described above.
run() {
  build=$1 mode=$2 size=$3 depth=$4
  gadget_cpu="" client_cpu=""
  [ "${PERF_AB_PIN:-}" = split ] && gadget_cpu="taskset -c 1" client_cpu="taskset -c 0"
  function=source-sink
  [ "$mode" = loopback ] && function=loopback
  # The framework's buffers are at least 1 KiB; a 512-byte host transfer is one short packet either way.
  buffer=$size
  [ "$buffer" -lt 1024 ] && buffer=1024
  is_reference=no
  case $build in
    C | C\ *) is_reference=yes reference_options=${build#C} label=$(echo "$build" | tr ' ' '_') ;;
    /*) label=$(basename "$build") ;;
    *) build=$root/$build label=$(basename "$build") ;;
  esac
  if [ "$is_reference" = yes ]; then
    product=0106
    sh -c "$setup setup" >/dev/null 2>&1
    # shellcheck disable=SC2086 # the extra options are words
    $gadget_cpu "$reference" $reference_options --ffs /run/ffsref/ffs0 --mode $function --size "$size" --depth "$depth" \
      --bind /sys/kernel/config/usb_gadget/ffsref/UDC=dummy_udc.0 >"$out/gadget.log" 2>&1 &
  else
    product=0107
    # shellcheck disable=SC2086 # an empty $gadget_cpu is no word
    (cd "$build" && exec env UsbGadget__OutQueueDepth="$depth" UsbGadget__InQueueDepth="$depth" \
      UsbGadget__OutTransferSize="$buffer" UsbGadget__InTransferSize="$buffer" Benchmark__Mode=$function \
      Benchmark__WriteSize="$size" $gadget_cpu ./UsbGadget.Benchmarks.Gadget) >"$out/gadget.log" 2>&1 &
  fi
  gadget=$!
  for _ in $(seq 60); do lsusb -d 1d6b:$product >/dev/null 2>&1 && break; sleep 1; done
  sleep 1
  # shellcheck disable=SC2086 # as above
  $client_cpu "$host" --vid 0x1d6b --pid 0x$product --mode "$mode" --size "$size" --depth "$depth" --warmup 1 --seconds 14 >"$out/host.txt" 2>&1 &
  client=$!
  sleep 3
  perf record -e cpu-clock -F 999 -g -p $gadget -o "$out/perf.data" -- sleep 5 >"$out/perf.log" 2>&1
  wait $client
  samples=$(sed -n 's/.*(\([0-9]*\) samples).*/\1/p' "$out/perf.log")
  tps=$(sed -n 's/.*tps=\([0-9.]*\).*/\1/p' "$out/host.txt")
  kernel=$(perf report -i "$out/perf.data" --no-children --sort dso --stdio 2>/dev/null | awk '/\[kernel/ { print $1 + 0 }')
  echo "$mode:$size:$depth $label: samples=${samples:-0} tps=${tps:-0}" \
    "samples/transfer=$(echo "${samples:-0} ${tps:-0}" | awk '{ printf "%.3f", ($2 > 0 ? $1 / ($2 * 5) : 0) }')" \
    "user=$(echo "${kernel:-100}" | awk '{ printf "%.1f%%", 100 - $1 }')"
  if [ "${PERF_AB_SYMBOLS:-0}" -gt 0 ]; then
    perf report -i "$out/perf.data" --no-children --sort sym --stdio -g none 2>/dev/null |
      awk '!/^#/ && NF' | head -n "$PERF_AB_SYMBOLS" | sed 's/^ */    /'
  fi
  kill $gadget 2>/dev/null
  wait $gadget 2>/dev/null
  [ "$is_reference" = yes ] && sh -c "$setup teardown" >/dev/null 2>&1
  sleep 1
}

for _ in $(seq "$rounds"); do
  for point in $points; do
    mode=${point%%:*}
    rest=${point#*:}
    for build in "$@"; do
      run "$build" "$mode" "${rest%%:*}" "${rest#*:}"
    done
  done
done
rm -rf "$out"
