#!/bin/sh
# Instructions per transfer on the pipeline benchmark's data path, counted by callgrind: a figure that does not move
# with the machine's load, so changes too small for the timed benchmarks (a few atomics, a lock) can be compared.
#
#   sh tests/UsbGadget.Benchmarks/instructions.sh [MODE...]      (default: source receive loopback)
#
# Publishes the benchmarks with NativeAOT (no JIT in the count), runs `pipeline --only aio` and `--only endpoints`
# (512 B, depth 8) under callgrind, and divides the user-space instructions the AIO completion thread executes
# (everything the handler-based modes do runs on it) by the completions it delivers; then the same for the C loop
# the pipeline benchmark compares with. Needs valgrind (apt-get install valgrind). Per-wake-up costs are shared by
# the completions of that wake-up, so the completions per wake-up are printed too: compare builds at similar batch
# sizes. The modes whose user code runs on pool threads (in, out, loopback-read) are not fully counted.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/artifacts/instructions
seconds=${SECONDS_PER_RUN:-2}
[ $# -gt 0 ] || set -- source receive loopback

command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 1; }

# Symbols kept (StripSymbols=false) and DWARF dropped: valgrind cannot read NativeAOT's debug info, but the symbol
# table is enough to name functions. The native link is forced, as a change of StripSymbols alone does not redo it.
rm -rf "$root/tests/UsbGadget.Benchmarks/obj/Release/net10.0/linux-x64/native"
# Quiet, but a failed publish prints its errors (they go to standard output) and stops the script with them.
log=$(dotnet publish "$root/tests/UsbGadget.Benchmarks/UsbGadget.Benchmarks.csproj" -c Release -r linux-x64 \
    -p:PublishAot=true -p:StripSymbols=false -o "$out/publish" -v quiet -nologo 2>&1) || {
    printf '%s\n' "$log" | grep -E 'error|Error' >&2
    echo "instructions.sh: the NativeAOT publish of tests/UsbGadget.Benchmarks failed (errors above)" >&2
    exit 1
}
objcopy --strip-debug "$out/publish/UsbGadget.Benchmarks" "$out/UsbGadget.Benchmarks"

# Total calls of each function whose name contains PATTERN, from a callgrind file (names may be compressed to ids).
calls() {
    awk -v pattern="$2" '
        # A name is given once, as "(id) name", in a fn= or cfn= line, and as "(id)" after that.
        function resolve(s,    id, rest) {
            if (!match(s, /^\([0-9]+\)/)) return s
            id = substr(s, 2, RLENGTH - 2); rest = substr(s, RLENGTH + 2)
            if (rest != "") name[id] = rest
            return name[id]
        }
        /^fn=/ { resolve(substr($0, 4)); next }
        /^cfn=/ { callee = resolve(substr($0, 5)); next }
        /^calls=/ { if (index(callee, pattern)) { split(substr($0, 7), c, " "); n += c[1] } }
        END { print n + 0 }' "$1"
}

total() { sed -n 's/^summary: //p;s/^totals: //p' "$1" | head -n 1; }

printf '| mode | layer | instructions/completion | completions/wake-up | completions |\n|---|---|---|---|---|\n'
for mode in "$@"; do
    for layer in aio endpoints; do
        case $layer in
            aio) handler=PipelineBenchmark_HandlerSlot__OnAioCompleted ;;
            *) handler=FunctionFs_TransferSlot__OnAioCompleted ;;
        esac
        file=$out/callgrind.$mode.$layer
        # Run from the checkout: the benchmark builds its C loop there (the loop runs outside the count).
        (cd "$root" && valgrind --tool=callgrind --callgrind-out-file="$file" --collect-atstart=no \
            --toggle-collect='UsbGadget_Aio_UsbGadget_Aio_AioEngine__CompletionLoop' \
            "$out/UsbGadget.Benchmarks" pipeline --mode "$mode" --only "$layer" --seconds "$seconds" --rounds 1 >/dev/null 2>&1)
        completions=$(calls "$file" "$handler")
        wakes=$(calls "$file" AioEngine__ReapAll)
        awk -v m="$mode" -v l="$layer" -v ir="$(total "$file")" -v c="$completions" -v w="$wakes" \
            'BEGIN { if (c == 0 || w == 0) { print "| " m " | " l " | no completions counted |  |  |"; exit }
                     printf "| %s | %s | %.0f | %.1f | %d |\n", m, l, ir / c, c / w, c }'
    done

    # The C loop, as the pipeline benchmark runs it (aio-loop.c, built by the runs above): all of its user-space
    # instructions, start-up included, over the transfers it counted.
    case $mode in
        loopback*) cmode=loopback ;;
        source | in) cmode=in ;;
        *) cmode=out ;;
    esac
    file=$out/callgrind.$mode.c
    transfers=$(valgrind --tool=callgrind --callgrind-out-file="$file" "$root/artifacts/native/aio-loop" "$cmode" 512 8 "$seconds" 2>/dev/null |
        sed -n 's/^transfers=\([0-9]*\).*/\1/p')
    awk -v m="$mode" -v ir="$(total "$file")" -v c="${transfers:-0}" \
        'BEGIN { if (c == 0) { print "| " m " | C loop | no transfers counted |  |  |"; exit }
                 printf "| %s | C loop | %.0f |  | %d |\n", m, ir / c, c }'
done
echo "callgrind files: $out/callgrind.*  (callgrind_annotate FILE names the costs)"
