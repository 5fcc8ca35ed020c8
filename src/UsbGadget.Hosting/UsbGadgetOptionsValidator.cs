using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;

namespace UsbGadget.Hosting;

/// <summary>
/// Checks <see cref="UsbGadgetOptions"/> on start. Each failure names the setting as it is written in configuration
/// (<c>UsbGadget:VendorId</c>), the value, and what a valid one looks like.
/// </summary>
internal sealed class UsbGadgetOptionsValidator(ServiceAccounts? accounts = null) : IValidateOptions<UsbGadgetOptions>
{
    private const string Section = UsbGadgetOptions.SectionName;

    private readonly ServiceAccounts _accounts = accounts ?? ServiceAccounts.System;

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
            failures.Add($"{Section}:Mode = '{options.Mode}' is not one of: Create, Attach, Setup, Teardown.");
        }
        CheckServiceAccount(failures, options);
        if (options.UsbVersion.Value is not (0x0110 or 0x0200 or 0x0201 or 0x0210 or 0x0300 or 0x0310 or 0x0320))
        {
            failures.Add($"{Section}:UsbVersion = {options.UsbVersion} is not a USB release: use 0x0200 (USB 2.0), 0x0210 (with BOS/WebUSB) or 0x0300/0x0320.");
        }
        if (!IsBcd(options.DeviceVersion))
        {
            failures.Add($"{Section}:DeviceVersion = {options.DeviceVersion} is not binary-coded decimal: use the digits 0–9 only, such as 0x0100 for release 1.00.");
        }
        CheckByte(failures, "DeviceClass", options.DeviceClass, "0xef");
        CheckByte(failures, "DeviceSubClass", options.DeviceSubClass, "0x02");
        CheckByte(failures, "DeviceProtocol", options.DeviceProtocol, "0x01");
        CheckString(failures, "ConfigurationName", options.ConfigurationName);
        if (options.WebUsbLandingPage is { Length: > 0 } landingPage)
        {
            if (!Uri.TryCreate(landingPage, UriKind.Absolute, out Uri? url) || url.Scheme is not ("https" or "http") || Encoding.UTF8.GetByteCount(landingPage) > 255)
            {
                failures.Add($"{Section}:WebUsbLandingPage = '{landingPage}' is not a web address: use an https URL of at most 255 bytes, such as https://example.com/device.");
            }
            if (options.UsbVersion.Value < 0x0210)
            {
                failures.Add($"{Section}:UsbVersion = {options.UsbVersion} is too old for WebUSB: set it to 0x0210 when WebUsbLandingPage is set.");
            }
        }
        if (CheckByte(failures, "WebUsbVendorCode", options.WebUsbVendorCode, "0x01") && options.MicrosoftOsDescriptors && options.WebUsbVendorCode.Value == MicrosoftOsVendorCode)
        {
            failures.Add($"{Section}:WebUsbVendorCode = {options.WebUsbVendorCode} is the MS OS descriptors' vendor code: use another, such as 0x01.");
        }
        CheckString(failures, "Manufacturer", options.Manufacturer);
        CheckString(failures, "Product", options.Product);
        if (options.SerialNumber is not null)
        {
            CheckString(failures, "SerialNumber", options.SerialNumber, allowEmpty: true);
        }
        foreach ((string language, GadgetStringsOptions strings) in options.Languages)
        {
            if (!UsbId.TryParse(language, CultureInfo.InvariantCulture, out UsbId id) || id.Value == 0)
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
        // The queue and transfer-size rules are FunctionFS's own, checked in one place for code and configuration alike.
        failures.AddRange(options.ToFunctionFsOptions("check").GetValidationErrors(Section + ":"));
        foreach ((string function, string instance) in options.FunctionInstances)
        {
            if (FunctionInstanceNames.Problem(instance) is { } problem)
            {
                failures.Add($"{Section}:FunctionInstances:{function} = '{instance}' {problem}");
            }
        }
        if (options.FunctionInstances.Values.GroupBy(i => i, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } shared)
        {
            failures.Add($"{Section}:FunctionInstances names '{shared.Key}' for two functions: each FunctionFS instance needs its own name.");
        }
        if (!Enum.IsDefined(options.OnFunctionFailure))
        {
            failures.Add($"{Section}:OnFunctionFailure = '{options.OnFunctionFailure}' is not one of: Restart, StopApplication.");
        }
        if (options.FunctionRestartDelay < TimeSpan.Zero || options.FunctionRestartDelay > TimeSpan.FromMinutes(1))
        {
            failures.Add($"{Section}:FunctionRestartDelay = {options.FunctionRestartDelay} is out of range: use a duration between 00:00:00 and 00:01:00.");
        }
        CheckRange(failures, "FunctionRestartLimit", options.FunctionRestartLimit, 0, 1000);
        if (options.ConfiguredTimeout <= TimeSpan.Zero || options.ConfiguredTimeout > TimeSpan.FromHours(1))
        {
            failures.Add($"{Section}:ConfiguredTimeout = {options.ConfiguredTimeout} is out of range: use a duration between 00:00:01 and 01:00:00.");
        }
        if (string.IsNullOrWhiteSpace(options.FunctionFsMountRoot) || !Path.IsPathRooted(options.FunctionFsMountRoot))
        {
            failures.Add($"{Section}:FunctionFsMountRoot = '{options.FunctionFsMountRoot}' must be an absolute directory, such as /run/usbgadget/ffs.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private void CheckServiceAccount(List<string> failures, UsbGadgetOptions options)
    {
        if (string.IsNullOrEmpty(options.ServiceUser))
        {
            if (options.Mode == GadgetMode.Setup)
            {
                failures.Add($"{Section}:ServiceUser is empty, but Mode = Setup mounts FunctionFS for it: name the user the app runs as afterwards (User= in the unit), such as 'usbgadget'.");
            }
            if (!string.IsNullOrEmpty(options.ServiceGroup))
            {
                failures.Add($"{Section}:ServiceGroup = '{options.ServiceGroup}' is set without {Section}:ServiceUser: set the user too, or remove the group.");
            }
            return;
        }
        if (_accounts.FindUser(options.ServiceUser) is null)
        {
            failures.Add($"{Section}:ServiceUser = '{options.ServiceUser}' is not a user in /etc/passwd: create it ('useradd --system --no-create-home {options.ServiceUser}') or name an existing one.");
        }
        if (options.ServiceGroup is { Length: > 0 } group && _accounts.FindGroup(group) is null)
        {
            failures.Add($"{Section}:ServiceGroup = '{group}' is not a group in /etc/group: create it ('groupadd --system {group}'), name an existing one, or leave it empty for the user's own group.");
        }
        if (options.Mode == GadgetMode.Create)
        {
            failures.Add($"{Section}:ServiceUser = '{options.ServiceUser}' is set, but Mode = Create runs everything as root: use Mode = Setup for the root step and Mode = Attach for the app that runs as the user (docs/deployment.md).");
        }
    }

    /// <summary>The uid and gid <see cref="UsbGadgetOptions.ServiceUser"/> and <see cref="UsbGadgetOptions.ServiceGroup"/> name; the validator has checked them.</summary>
    internal static (uint Uid, uint Gid) ResolveServiceAccount(UsbGadgetOptions options, ServiceAccounts accounts)
    {
        (uint uid, uint gid) = accounts.FindUser(options.ServiceUser!)
            ?? throw new GadgetStartException($"{Section}:ServiceUser = '{options.ServiceUser}' is not a user in /etc/passwd any more: create it or name an existing one.");
        if (options.ServiceGroup is { Length: > 0 } group)
        {
            gid = accounts.FindGroup(group)
                ?? throw new GadgetStartException($"{Section}:ServiceGroup = '{group}' is not a group in /etc/group any more: create it or name an existing one.");
        }
        return (uid, gid);
    }

    // The code OsDescriptorSettings gives the MS OS descriptors.
    private const int MicrosoftOsVendorCode = 0xcd;

    private static bool CheckByte(List<string> failures, string setting, UsbId value, string example)
    {
        if (value.Value <= byte.MaxValue)
        {
            return true;
        }
        failures.Add($"{Section}:{setting} = {value} does not fit a byte: use 0x00–0xff, such as {example}.");
        return false;
    }

    private static bool IsBcd(ushort value) =>
        (value & 0xf) <= 9 && ((value >> 4) & 0xf) <= 9 && ((value >> 8) & 0xf) <= 9 && ((value >> 12) & 0xf) <= 9;

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
}
