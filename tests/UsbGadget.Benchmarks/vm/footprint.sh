#!/bin/sh
# Runs in the VM as root: measures one gadget's footprint and prints key=value lines.
#   footprint.sh VID:PID IDLE_SECONDS TRAFFIC_SECONDS 'traffic command or empty' 'gadget command'
# The gadget command must end by exec-ing the gadget, so the pid measured is its own (dotnet for a JIT app).
#   enumerated_ms  process start -> the host has configured the device (bConfigurationValue set in sysfs)
#   idle_rss_kb    VmRSS after IDLE_SECONDS of idle
#   traffic_rss_kb the highest VmRSS sampled every 0.5 s while the traffic command runs
#   stop_ms        SIGTERM -> process gone
set -u
vid=${1%:*}
product=${1#*:}
idle=$2
traffic_seconds=$3
traffic=$4
gadget=$5

now_ms() { echo $(($(date +%s%N) / 1000000)); }
configured() {
  for d in /sys/bus/usb/devices/*; do
    [ -f "$d/idVendor" ] || continue
    [ "$(cat "$d/idVendor")" = "$vid" ] && [ "$(cat "$d/idProduct")" = "$product" ] && [ -n "$(cat "$d/bConfigurationValue")" ] && return 0
  done
  return 1
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

start=$(now_ms)
sh -c "$gadget" > /tmp/footprint-gadget.log 2>&1 &
pid=$!
deadline=$((start + 180000))
until configured; do
  if ! kill -0 "$pid" 2>/dev/null || [ "$(now_ms)" -gt "$deadline" ]; then
    echo "error=the gadget did not enumerate (exited or 180 s passed)"
    tail -n 30 /tmp/footprint-gadget.log | sed 's/^/log: /'
    kill -KILL "$pid" 2>/dev/null
    exit 1
  fi
  sleep 0.01
done
echo "enumerated_ms=$(($(now_ms) - start))"

sleep "$idle"
echo "idle_rss_kb=$(rss_kb "$pid")"

if [ -n "$traffic" ]; then
  sh -c "$traffic" > /tmp/footprint-traffic.log 2>&1 &
  traffic_pid=$!
  peak=0
  end=$(($(now_ms) + traffic_seconds * 1000 + 3000))
  while kill -0 "$traffic_pid" 2>/dev/null && [ "$(now_ms)" -lt "$end" ]; do
    rss=$(rss_kb "$pid")
    [ -n "$rss" ] && [ "$rss" -gt "$peak" ] && peak=$rss
    sleep 0.5
  done
  wait "$traffic_pid"
  status=$?
  echo "traffic_rss_kb=$peak"
  echo "traffic_exit=$status"
  echo "traffic_result=$(tail -n 1 /tmp/footprint-traffic.log)"
fi

stop=$(now_ms)
kill -TERM "$pid"
wait "$pid"
echo "exit_code=$?"
echo "stop_ms=$(($(now_ms) - stop))"
