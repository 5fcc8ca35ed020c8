using System.Globalization;
using Microsoft.Extensions.Options;

namespace UsbGadget.Hosting;

/// <summary>
/// Checks <see cref="UsbGadgetOptions"/> on start. Each failure names the setting as it is written in configuration
/// (<c>UsbGadget:VendorId</c>), the value, and what a valid one looks like.
/// </summary>
internal sealed class UsbGadgetOptionsValidator : IValidateOptions<UsbGadgetOptions>
{
    private const string Section = UsbGadgetOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, UsbGadgetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>(options.UnreadableSettings);

        if (string.IsNullOrWhiteSpace(options.Name) || options.Name.Contains('/', StringComparison.Ordinal) || options.Name is "." or "..")
        {
            failures.Add($"{Section}:Name = '{options.Name}' is not a usable configfs directory name: use letters, digits, '-' or '_', such as 'keyboard'.");
        }
        if (!Enum.IsDefined(options.Mode))
        {
            failures.Add($"{Section}:Mode = '{options.Mode}' is not a mode: use Create or Attach.");
        }
        CheckUInt16(failures, "VendorId", options.VendorId, "0x1d6b");
        CheckUInt16(failures, "ProductId", options.ProductId, "0x0104");
        CheckUInt16(failures, "DeviceVersion", options.DeviceVersion, "0x0100");
        if (CheckUInt16(failures, "UsbVersion", options.UsbVersion, "0x0200") is ushort usb && usb is not (0x0110 or 0x0200 or 0x0201 or 0x0210 or 0x0300 or 0x0310 or 0x0320))
        {
            failures.Add($"{Section}:UsbVersion = '{options.UsbVersion}' is not a USB release: use 0x0200 (USB 2.0), 0x0210 (with BOS/WebUSB) or 0x0300/0x0320.");
        }
        CheckString(failures, "Manufacturer", options.Manufacturer);
        CheckString(failures, "Product", options.Product);
        if (options.SerialNumber is not null)
        {
            CheckString(failures, "SerialNumber", options.SerialNumber, allowEmpty: true);
        }
        foreach ((string language, GadgetStringsOptions strings) in options.Languages)
        {
            if (!UsbNumber.TryParseUInt16(language, out ushort id) || id == 0)
            {
                failures.Add($"{Section}:Languages:{language} is not a USB language id: use the LANGID in hex, such as 0x0407 for German.");
            }
            CheckString(failures, $"Languages:{language}:Manufacturer", strings.Manufacturer, allowEmpty: true);
            CheckString(failures, $"Languages:{language}:Product", strings.Product, allowEmpty: true);
            CheckString(failures, $"Languages:{language}:SerialNumber", strings.SerialNumber, allowEmpty: true);
        }
        if (options.Udc is { Length: > 0 } udc && (udc.Contains('/', StringComparison.Ordinal) || udc.Trim() != udc))
        {
            failures.Add($"{Section}:Udc = '{udc}' is not a UDC name: use a name from /sys/class/udc, such as 'fe980000.usb', or leave it empty to use the only one.");
        }
        if (options.MaxPowerMilliamps is < 0 or > 900)
        {
            failures.Add($"{Section}:MaxPowerMilliamps = {options.MaxPowerMilliamps} is out of range: 0–500 mA for USB 2.0, up to 900 mA for SuperSpeed.");
        }
        CheckRange(failures, "OutQueueDepth", options.OutQueueDepth, 1, 256);
        CheckRange(failures, "InQueueDepth", options.InQueueDepth, 1, 256);
        CheckTransferSize(failures, "OutTransferSize", options.OutTransferSize);
        CheckTransferSize(failures, "InTransferSize", options.InTransferSize);
        if (string.IsNullOrWhiteSpace(options.FunctionFsMountRoot) || !Path.IsPathRooted(options.FunctionFsMountRoot))
        {
            failures.Add($"{Section}:FunctionFsMountRoot = '{options.FunctionFsMountRoot}' must be an absolute directory, such as /run/usbgadget/ffs.");
        }
        if (options.StopTimeout <= TimeSpan.Zero || options.StopTimeout > TimeSpan.FromMinutes(5))
        {
            failures.Add($"{Section}:StopTimeout = {options.StopTimeout} is out of range: use a duration between 00:00:00.1 and 00:05:00.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static ushort? CheckUInt16(List<string> failures, string setting, string? value, string example)
    {
        if (UsbNumber.TryParseUInt16(value, out ushort result))
        {
            return result;
        }
        failures.Add($"{Section}:{setting} = '{value}' is not a 16-bit number: write it in hex, such as {example}.");
        return null;
    }

    private static void CheckString(List<string> failures, string setting, string? value, bool allowEmpty = false)
    {
        if (string.IsNullOrEmpty(value))
        {
            if (!allowEmpty)
            {
                failures.Add($"{Section}:{setting} is empty: give the text the host should show.");
            }
            return;
        }
        // A USB string descriptor holds at most 126 UTF-16 code units; configfs also rejects embedded newlines.
        if (value.Length > 126 || value.Contains('\n', StringComparison.Ordinal))
        {
            failures.Add($"{Section}:{setting} is {value.Length} characters or contains a line break: a USB string holds at most 126 characters on one line.");
        }
    }

    private static void CheckRange(List<string> failures, string setting, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{Section}:{setting} = {value} is out of range: use {min}–{max}."));
        }
    }

    private static void CheckTransferSize(List<string> failures, string setting, int value)
    {
        // Multiples of 1024 are multiples of every bulk max packet size (64, 512, 1024), so OUT reads never split a packet.
        if (value < 1024 || value > 1024 * 1024 || value % 1024 != 0)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{Section}:{setting} = {value} must be a multiple of 1024 between 1024 and 1048576 (16384 is a good choice)."));
        }
    }
}

/// <summary>Parses the numbers USB people write: <c>0x1d6b</c> or decimal.</summary>
internal static class UsbNumber
{
    public static bool TryParseUInt16(string? text, out ushort value)
    {
        value = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        ReadOnlySpan<char> span = text.AsSpan().Trim();
        return span.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ushort.TryParse(span[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            : ushort.TryParse(span, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    public static ushort ParseUInt16(string text) =>
        TryParseUInt16(text, out ushort value) ? value : throw new FormatException($"'{text}' is not a 16-bit number.");
}
