using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests;

/// <summary>FunctionFS is usable in the guest: an instance can be created, mounted and, without descriptors, refuses to bind.</summary>
public sealed class FunctionFsTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    [Fact]
    public async Task FunctionFsInstance_MountsWithEp0_RefusesToBindWithoutDescriptors_AndCleansUp()
    {
        GuestCommandResult result = (await Vm.RunAsync("""
            set -e
            G=/sys/kernel/config/usb_gadget/ffs
            mkdir "$G"
            echo 0x1209 > "$G/idVendor"
            echo 0x0006 > "$G/idProduct"
            mkdir "$G/functions/ffs.e2e" "$G/configs/c.1"
            ln -s "$G/functions/ffs.e2e" "$G/configs/c.1/ffs.e2e"
            mkdir -p /dev/usb-ffs/e2e
            mount -t functionfs e2e /dev/usb-ffs/e2e
            echo "files: $(ls /dev/usb-ffs/e2e)"
            grep ' functionfs ' /proc/mounts | cut -d' ' -f1-3
            if /bin/echo dummy_udc.0 > "$G/UDC" 2>/tmp/bind.err; then echo "bind: succeeded"; else echo "bind: $(cat /tmp/bind.err)"; fi
            dmesg | grep 'failed to start ffs' | tail -n 1
            """)).EnsureSuccess();

        string[] lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("files: ep0", lines[0]);
        Assert.Equal("e2e /dev/usb-ffs/e2e functionfs", lines[1]);
        // Debian 6.1: the function bind fails with ENODEV (logged), the UDC write reports EBUSY.
        Assert.Equal("bind: /bin/echo: write error: Device or resource busy", lines[2]);
        Assert.EndsWith("udc dummy_udc.0: failed to start ffs: -19", lines[3], StringComparison.Ordinal); // ENODEV: ep0 has no descriptors yet

        await Vm.CleanUpAsync();

        GuestCommandResult after = (await Vm.RunAsync("ls /sys/kernel/config/usb_gadget; grep -c ' functionfs ' /proc/mounts || true")).EnsureSuccess();
        Assert.Equal("0\n", after.StandardOutput);
    }
}
