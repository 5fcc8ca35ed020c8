#!/bin/sh
# Runs in the VM as root: one measured usb-bench-host run against one freshly started gadget; prints key=value lines.
#   usb-run.sh VID:PID SETUP GADGET TEARDOWN STATS_FILE WARMUP SECONDS BENCH [BENCH ARGS...]
# SETUP and TEARDOWN are shell commands run before and after (may be empty). GADGET is a shell command that ends by
# exec-ing the gadget process, so the pid measured is its own; empty for the kernel's functions (configfs only).
# BENCH is usb-bench-host; it gets --vid/--pid/--warmup/--seconds plus BENCH ARGS.
# CPU and allocations are sampled over the middle of the measured interval (from WARMUP + 0.25 s to WARMUP + SECONDS - 1 s):
#   result=...            usb-bench-host's line
#   gadget_cpu_ticks=N    utime+stime of the gadget process (all threads) over the window, in clock ticks
#   bench_cpu_ticks=N     the same for usb-bench-host (is the host client saturated?)
#   guest_busy_pct=N      all guest CPUs, busy share over the window (from /proc/stat)
#   window_ms=N clk_tck=N (window_ms=0: the client had ended before the window did, so no CPU figures)
#   alloc_bytes=N alloc_transfers=N   differences of the gadget's last StatsFile lines at the window's ends
set -u
vid=${1%:*}
product=${1#*:}
setup=$2
gadget=$3
teardown=$4
stats=$5
warmup=$6
seconds=$7
bench=$8
shift 8
# Sample from WARMUP + 0.25 s for SECONDS - 1.25 s: inside usb-bench-host's measured interval (which starts a little later,
# once it has opened the device), with a second to spare at the end for sleep and fork overhead under emulation.
lead=$(echo "$warmup" | awk '{ print $1 + 0.25 }')
window=$(echo "$seconds" | awk '{ print ($1 > 2.5 ? $1 - 1.25 : $1 / 2) }')

now_ms() { echo $(($(date +%s%N) / 1000000)); }
device_state() { # prints "configured", "present" or nothing
  for d in /sys/bus/usb/devices/*; do
    [ -f "$d/idVendor" ] || continue
    if [ "$(cat "$d/idVendor")" = "$vid" ] && [ "$(cat "$d/idProduct")" = "$product" ]; then
      if [ -n "$(cat "$d/bConfigurationValue" 2>/dev/null)" ]; then echo configured; else echo present; fi
      return
    fi
  done
}
# The samples use shell builtins only (read, set): a fork costs tens of milliseconds under software emulation.
sample() { # sets ms, g (gadget ticks), b (bench ticks), busy, total, alloc, xfers, alive
  read -r up _ < /proc/uptime
  ms=${up%.*}${up#*.}0 # centiseconds and a 0: milliseconds, with no leading zero for arithmetic to read as octal
  ticks "$pid"; g=$t
  ticks "$bench_pid"; b=$t
  alive=0; [ "$state" = R ] || [ "$state" = S ] || [ "$state" = D ] && alive=1
  read -r _ u n s i w q sq rest < /proc/stat
  busy=$((u + n + s + q + sq)); total=$((busy + i + w))
  alloc=0; xfers=0
  if [ -n "$stats" ] && [ -r "$stats" ]; then
    last=
    while read -r l; do case "$l" in *transfers=*) last=$l ;; esac; done < "$stats"
    if [ -n "$last" ]; then
      a=${last#allocated_bytes=}; alloc=${a%% *}; xfers=${last##*transfers=}
    fi
  fi
}
ticks() { # sets t: utime + stime of a whole process (all threads), and its state; the comm field may hold spaces
  t=0; state=
  if [ -n "$1" ] && [ -r "/proc/$1/stat" ]; then
    read -r line < "/proc/$1/stat"
    set -- ${line##*) }
    state=$1; t=$((${12} + ${13}))
  fi
}
fail() {
  echo "error=$*"
  [ -s /tmp/usb-run-gadget.log ] && tail -n 30 /tmp/usb-run-gadget.log | sed 's/^/log: /'
  cleanup
  exit 1
}
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  fi
  [ -n "$teardown" ] && sh -c "$teardown" >/dev/null 2>&1
  i=0
  while [ -n "$(device_state)" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}

rm -f /tmp/usb-run-gadget.log
[ -n "$stats" ] && rm -f "$stats"
if [ -n "$setup" ]; then
  sh -c "$setup" > /tmp/usb-run-gadget.log 2>&1 || fail "setup failed: $setup"
fi
if [ -n "$gadget" ]; then
  sh -c "$gadget" >> /tmp/usb-run-gadget.log 2>&1 &
  pid=$!
fi
deadline=$(($(now_ms) + 60000))
until [ "$(device_state)" = configured ]; do
  if { [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; } || [ "$(now_ms)" -gt "$deadline" ]; then
    fail "the gadget did not enumerate (exited or 60 s passed)"
  fi
  sleep 0.02
done
# The gadget's endpoints are enabled once the host configured it; give a user-space gadget a moment to queue its blocks.
sleep 0.3

"$bench" --vid "0x$vid" --pid "0x$product" --warmup "$warmup" --seconds "$seconds" "$@" > /tmp/usb-run-bench.out 2> /tmp/usb-run-bench.err &
bench_pid=$!
sleep "$lead"
sample; t0=$ms; g0=$g; b0=$b; busy0=$busy; total0=$total; a0=$alloc; x0=$xfers
sleep "$window"
sample; t1=$ms; g1=$g; b1=$b; busy1=$busy; total1=$total; a1=$alloc; x1=$xfers; alive1=$alive
wait "$bench_pid"
bench_rc=$?

echo "result=$(tail -n 1 /tmp/usb-run-bench.out)"
echo "bench_exit=$bench_rc"
[ -s /tmp/usb-run-bench.err ] && grep -v 'device version' /tmp/usb-run-bench.err | head -n 5 | sed 's/^/bench_stderr: /'
if [ "$alive1" = 1 ]; then
  # Only a window that ended while the client still ran is inside the measured interval.
  echo "window_ms=$((t1 - t0))"
  echo "clk_tck=$(getconf CLK_TCK)"
  [ -n "$pid" ] && echo "gadget_cpu_ticks=$((g1 - g0))"
  echo "bench_cpu_ticks=$((b1 - b0))"
  [ $((total1 - total0)) -gt 0 ] && echo "guest_busy_pct=$((100 * (busy1 - busy0) / (total1 - total0)))"
  if [ -n "$stats" ]; then
    echo "alloc_bytes=$((a1 - a0))"
    echo "alloc_transfers=$((x1 - x0))"
  fi
else
  echo "window_ms=0"
fi
[ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && echo "error=the gadget exited during the run"
cleanup
[ -n "$pid" ] && [ -s /tmp/usb-run-gadget.log ] && grep -qiE 'fail|error|exception' /tmp/usb-run-gadget.log \
  && tail -n 5 /tmp/usb-run-gadget.log | sed 's/^/log: /'
exit 0
