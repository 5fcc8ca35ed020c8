using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests;

/// <summary>Starts tests/vm/kernel-function-gadget.sh: a configfs gadget around the kernel's own Loopback or SourceSink function.</summary>
internal static class KernelGadget
{
    public const string Manufacturer = "UsbGadget tests";
    public const string Product = "Kernel loopback";
    public const string ManufacturerGerman = "UsbGadget-Tests";
    public const string ProductGerman = "Schleife für Prüfungen";
    public const string Serial = "E2E-0001";

    /// <summary>pid.codes reserves 1209:0001–0010 for testing.</summary>
    public const ushort VendorId = 0x1209;

    public static async Task<GuestProcess> StartAsync(GadgetVm vm, string name, ushort productId, string function, bool german = true, params string[] attributes)
    {
        GuestProcess gadget = Start(vm, name, productId, function, german, attributes);
        await gadget.WaitForOutputAsync("bound", TimeSpan.FromSeconds(60));
        return gadget;
    }

    /// <summary>Starts the gadget without waiting for it to bind.</summary>
    public static GuestProcess Start(GadgetVm vm, string name, ushort productId, string function, bool german = true, params string[] attributes)
    {
        var options = new GuestCommandOptions();
        options.Environment["MANUFACTURER"] = Manufacturer;
        options.Environment["PRODUCT"] = Product;
        options.Environment["SERIAL"] = Serial;
        if (german)
        {
            options.Environment["MANUFACTURER_DE"] = ManufacturerGerman;
            options.Environment["PRODUCT_DE"] = ProductGerman;
        }

        string script = Path.Combine(AppContext.BaseDirectory, "vm", "kernel-function-gadget.sh");
        return vm.StartProgram("/bin/sh", [script, name, $"0x{VendorId:x4}", $"0x{productId:x4}", function, .. attributes], options);
    }

    /// <summary>Stops the gadget with SIGTERM and asserts it unbound and removed itself cleanly.</summary>
    public static async Task StopAndAssertRemovedAsync(GuestProcess gadget)
    {
        GuestCommandResult result = await gadget.StopAsync();
        Assert.True(result.ExitCode == 0, $"The gadget did not tear down cleanly (exit {result.ExitCode}).{Environment.NewLine}{result.Describe()}");
        Assert.EndsWith("removed\n", result.StandardOutput, StringComparison.Ordinal);
    }
}
