#!/bin/sh
# Publishes a sample gadget (or any project under gadgets/) for a board, in one of the publishing modes that were
# checked to work from an x64 build machine. Used by the Dockerfile; works the same by hand.
#
#   configfs-scripts/publish/publish.sh RID [MODE] [-- extra dotnet publish arguments]
#   configfs-scripts/publish/publish.sh --apt-packages RID [MODE]
#
# RID:  linux-x64 | linux-arm64 (Raspberry Pi with a 64-bit OS) | linux-arm (32-bit Raspberry Pi OS, BeagleBone)
# MODE: auto (default: aot for linux-x64 and linux-arm64, portable for linux-arm)
#       aot            NativeAOT: one native file, no .NET on the board, fastest start. Needs clang, llvm (objcopy)
#                      and, when the build machine is another architecture, gcc-<triple> and libc6-dev-<arch>-cross.
#       r2r            self-contained, ReadyToRun-compiled app assemblies (JIT for the rest)
#       self-contained self-contained, JIT
#       single-file    self-contained in one file (add -- -p:PublishReadyToRun=true for a faster start)
#       framework      needs .NET 10 installed on the board; native launcher for RID
#       portable       no RID at all: run with 'dotnet SAMPLE.dll' on any board with .NET 10 installed
#
# --apt-packages prints the Debian/Ubuntu packages MODE needs on this build machine (nothing for the managed modes)
# and exits: apt-get install -y --no-install-recommends $(configfs-scripts/publish/publish.sh --apt-packages RID).
#
# Environment: SAMPLE (default BulkLoopback: a folder under gadgets/), OUT (default artifacts/publish/SAMPLE-RID-MODE),
# CONFIGURATION (default Release).
set -eu

usage() {
    sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

apt_only=false
if [ "${1:-}" = "--apt-packages" ]; then
    apt_only=true
    shift
fi
[ $# -ge 1 ] || usage
rid=$1
shift
mode=auto
if [ $# -ge 1 ] && [ "$1" != "--" ]; then
    mode=$1
    shift
fi
if [ $# -ge 1 ]; then
    [ "$1" = "--" ] || usage
    shift
fi

# Debian's names for the target: GNU triple (gcc-TRIPLE) and dpkg architecture (libc6-dev-ARCH-cross).
case "$rid" in
    linux-x64) triple=x86-64-linux-gnu arch=amd64 machine=x86_64 ;;
    linux-arm64) triple=aarch64-linux-gnu arch=arm64 machine=aarch64 ;;
    linux-arm) triple=arm-linux-gnueabihf arch=armhf machine=armv7l ;;
    *)
        echo "publish.sh: unknown RID '$rid' (linux-x64, linux-arm64 or linux-arm)" >&2
        exit 2
        ;;
esac

if [ "$mode" = auto ]; then
    case "$rid" in
        # The linux-arm runtime packs were not available where this was checked, so the safe default is the
        # framework-dependent portable build; 'r2r' is the better choice where the feed serves
        # Microsoft.NETCore.App.Runtime.linux-arm.
        linux-arm) mode=portable ;;
        *) mode=aot ;;
    esac
fi

case "$mode" in
    aot) set -- -r "$rid" -p:PublishAot=true "$@" ;;
    r2r) set -- -r "$rid" --self-contained true -p:PublishReadyToRun=true "$@" ;;
    self-contained) set -- -r "$rid" --self-contained true "$@" ;;
    single-file) set -- -r "$rid" --self-contained true -p:PublishSingleFile=true "$@" ;;
    framework) set -- -r "$rid" --self-contained false "$@" ;;
    portable) set -- --self-contained false -p:UseAppHost=false "$@" ;;
    *)
        echo "publish.sh: unknown MODE '$mode' (auto, aot, r2r, self-contained, single-file, framework, portable)" >&2
        exit 2
        ;;
esac

if $apt_only; then
    if [ "$mode" = aot ]; then
        # clang drives the link; llvm brings llvm-objcopy for stripping symbols into SAMPLE.dbg.
        packages="clang llvm"
        if [ "$(uname -m)" != "$machine" ]; then
            # Cross link: clang --target=TRIPLE finds gcc's cross crt files, the cross ld and the target's libc.
            packages="$packages gcc-$triple libc6-dev-$arch-cross"
        fi
        echo "$packages"
    fi
    exit 0
fi

repo=$(cd "$(dirname "$0")/../.." && pwd)
sample=${SAMPLE:-BulkLoopback}
project="$repo/gadgets/$sample/$sample.csproj"
if [ ! -f "$project" ]; then
    echo "publish.sh: no project $project (SAMPLE is a folder under gadgets/)" >&2
    exit 2
fi
out=${OUT:-$repo/artifacts/publish/$sample-$rid-$mode}

echo "publish.sh: $sample for $rid, mode $mode -> $out" >&2
dotnet publish "$project" -c "${CONFIGURATION:-Release}" -o "$out" -p:PublishReferencesDocumentationFiles=false "$@"

if [ "$mode" = portable ]; then
    echo "publish.sh: done. On the board (.NET 10 runtime installed): sudo dotnet $sample.dll" >&2
elif [ "$mode" = framework ]; then
    echo "publish.sh: done. On the board (.NET 10 runtime installed): sudo ./$sample" >&2
else
    echo "publish.sh: done. On the board (no .NET needed): sudo ./$sample" >&2
fi
