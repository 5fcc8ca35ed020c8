# syntax=docker/dockerfile:1
# Builds one UsbGadget sample gadget for a board and a small runtime image to run it there.
#
#   docker buildx build --platform linux/arm64 --build-arg SAMPLE=BulkLoopback -t usbgadget-loopback --load .
#   docker run --rm --privileged -v /sys/kernel/config:/sys/kernel/config -v /dev:/dev -v /run/usbgadget:/run/usbgadget usbgadget-loopback
#
# --platform picks the board; the SDK stage always runs natively on the build machine and cross-compiles:
#   linux/amd64, linux/arm64   NativeAOT: one native file on runtime-deps:10.0 (no .NET in the image)
#   linux/arm/v7               framework-dependent portable build on runtime:10.0 (dotnet SAMPLE.dll): 32-bit Raspberry
#                              Pi OS, BeagleBone Black
# --build-arg MODE=r2r|self-contained|single-file swaps NativeAOT for a JIT build on amd64/arm64 (same runtime-deps
# image); see configfs-scripts/publish/publish.sh. Arguments after the image name go to the gadget
# (e.g. --UsbGadget:ProductId=0x0106). HidKeyboard types what it reads on standard input: add -i to docker run.
#
# Why those flags: the gadget creates directories in configfs (/sys/kernel/config), mounts FunctionFS and writes the
# UDC name, which needs CAP_SYS_ADMIN and the host's configfs; --privileged also lets the container see the host's
# /sys/class/udc; -v /dev for device nodes; -v /run/usbgadget so a later run finds the state files (and FunctionFS
# mounts) of a crashed one and cleans up after it. See README.md, "Running in Docker".

ARG SAMPLE=BulkLoopback
ARG MODE=auto

FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TARGETARCH
ARG TARGETVARIANT
ARG SAMPLE
ARG MODE
# RID was this file's old way to choose the board; --platform replaced it (the runtime image must match too).
ARG RID=
WORKDIR /src
# The publish script alone first: it names the packages to install, so this layer outlives source edits.
COPY configfs-scripts/publish/publish.sh configfs-scripts/publish/publish.sh
RUN set -eu; \
    case "${TARGETARCH}${TARGETVARIANT}" in \
        amd64) rid=linux-x64 ;; \
        arm64 | arm64v8) rid=linux-arm64 ;; \
        armv7) rid=linux-arm ;; \
        *) echo "unsupported --platform ${TARGETARCH}/${TARGETVARIANT}: use linux/amd64, linux/arm64 or linux/arm/v7" >&2; exit 1 ;; \
    esac; \
    if [ -n "${RID}" ] && [ "${RID}" != "$rid" ]; then \
        echo "--build-arg RID=${RID} does not match --platform ${TARGETARCH}/${TARGETVARIANT} ($rid): choose the board with --platform" >&2; exit 1; \
    fi; \
    # publish.sh turns auto into aot (linux-x64, linux-arm64) or portable (linux-arm); the final stage below assumes so.
    case "$rid:${MODE}" in \
        linux-arm:auto | linux-arm:portable) ;; \
        linux-x64:auto | linux-x64:aot | linux-x64:r2r | linux-x64:self-contained | linux-x64:single-file) ;; \
        linux-arm64:auto | linux-arm64:aot | linux-arm64:r2r | linux-arm64:self-contained | linux-arm64:single-file) ;; \
        *) echo "MODE=${MODE} is not offered for $rid in this image" >&2; exit 1 ;; \
    esac; \
    echo "$rid" > /rid; \
    packages="$(configfs-scripts/publish/publish.sh --apt-packages "$rid" "${MODE}")"; \
    if [ -n "$packages" ]; then \
        apt-get update; \
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $packages; \
        rm -rf /var/lib/apt/lists/*; \
    fi
COPY . .
RUN SAMPLE="${SAMPLE}" OUT=/app configfs-scripts/publish/publish.sh "$(cat /rid)" "${MODE}" \
    && rm -f /app/*.pdb /app/*.dbg

# NativeAOT and self-contained builds need only the C library and friends.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0 AS native
ARG SAMPLE
ENV SAMPLE=${SAMPLE}
WORKDIR /app
COPY --from=build /app .
# The gadget must run as root: configfs, mount(2) and the UDC file are root-only.
USER root
ENTRYPOINT ["/bin/sh", "-c", "exec \"/app/${SAMPLE}\" \"$@\"", "--"]

# The portable framework-dependent build runs on the .NET runtime.
FROM mcr.microsoft.com/dotnet/runtime:10.0 AS framework
ARG SAMPLE
ENV SAMPLE=${SAMPLE} \
    DOTNET_gcServer=0
WORKDIR /app
COPY --from=build /app .
USER root
ENTRYPOINT ["/bin/sh", "-c", "exec dotnet \"/app/${SAMPLE}.dll\" \"$@\"", "--"]

FROM native AS final-amd64
FROM native AS final-arm64
FROM native AS final-arm64v8
FROM framework AS final-armv7
# TARGETARCH/TARGETVARIANT are predefined in the global scope, so FROM can use them.
FROM final-${TARGETARCH}${TARGETVARIANT}
