# Guest agent, run by init inside the chroot with busybox ash.
# Protocol (one line each way on the virtio serial port, fd 3):
#   host -> guest: "run ID"          run $Q/run/ID.sh in its own session
#                  "signal PID SIG"  send SIG to the process group PID
#                  "shutdown"        leave the loop; init powers off
#   guest -> host: "ready", "pid ID PID", "exit ID CODE"
# Output goes to $Q/run/ID.out and ID.err on the writable 9p share.
Q=/run/usbgadget-vm
BB=/run/usbgadget-vm-bin/busybox
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp USBGADGET_VM_SHARE=$Q USBGADGET_VM_BUSYBOX=$BB
[ -f $Q/env.sh ] && . $Q/env.sh
cd /tmp || exit 1
exec 3<>"$1" || exit 1

# Background jobs of a non-interactive shell start with SIGINT and SIGQUIT ignored, and an ignored
# signal cannot be trapped again; coreutils env gives commands the default dispositions back.
RESET=
/usr/bin/env --default-signal=INT,QUIT true 2>/dev/null && RESET="/usr/bin/env --default-signal=INT,QUIT"

start() {
    d=$Q/run/$1
    (
        # setsid makes the command a process-group leader so it can be signalled as a whole.
        $BB setsid $RESET /bin/sh "$d.sh" </dev/null >"$d.out" 2>"$d.err" &
        echo "pid $1 $!" >&3
        wait $!
        echo "exit $1 $?" >&3
    ) &
}

echo ready >&3
while read -r verb a b <&3; do
    case $verb in
        run) start "$a" ;;
        signal) kill -s "$b" "-$a" 2>/dev/null ;;  # busybox kill takes no "--"
        shutdown) break ;;
    esac
done
