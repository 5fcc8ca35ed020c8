# syntax=docker/dockerfile:1
# Builds the UsbGadget sample gadgets and a small runtime image to run one of them on a board.
#
#   docker build --build-arg RID=linux-arm64 --build-arg SAMPLE=BulkLoopback -t usbgadget-loopback .
#   docker run --rm --privileged -v /sys/kernel/config:/sys/kernel/config -v /dev:/dev usbgadget-loopback
#
# Why those flags: the gadget creates directories in configfs (/sys/kernel/config), mounts FunctionFS
# and writes the UDC name, which needs CAP_SYS_ADMIN and the host's configfs; --privileged also lets
# the container see the host's /sys/class/udc. See README.md, "Running in Docker".

ARG RID=linux-x64
ARG SAMPLE=BulkLoopback

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG RID
ARG SAMPLE
WORKDIR /src
COPY . .
# Framework-dependent publish for the chosen RID; the runtime image provides .NET.
RUN dotnet publish "gadgets/${SAMPLE}/${SAMPLE}.csproj" -c Release -r "${RID}" --self-contained false -o /app

FROM mcr.microsoft.com/dotnet/runtime:10.0 AS runtime
ARG SAMPLE
ENV SAMPLE=${SAMPLE} \
    DOTNET_gcServer=0
WORKDIR /app
COPY --from=build /app .
# The gadget must run as root: configfs, mount(2) and the UDC file are root-only.
USER root
ENTRYPOINT ["/bin/sh", "-c", "exec /app/${SAMPLE}"]
