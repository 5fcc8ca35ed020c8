using Microsoft.Extensions.Options;
using UsbGadget.FunctionFs;
using UsbGadget.Hosting;

namespace UsbGadget.Hosting.Tests;

public sealed class UsbGadgetOptionsValidatorTests
{
    private static ValidateOptionsResult Validate(UsbGadgetOptions options) => new UsbGadgetOptionsValidator().Validate(null, options);

    [Fact]
    public void Defaults_AreValid() => Assert.True(Validate(new UsbGadgetOptions()).Succeeded);

    [Theory]
    [InlineData("0x1d6b", 0x1d6b)]
    [InlineData("0X1D6B", 0x1d6b)]
    [InlineData("7531", 7531)]
    [InlineData(" 0x0001 ", 1)]
    public void UsbIds_ReadHexAndDecimal(string text, int expected)
    {
        Assert.True(UsbId.TryParse(text, null, out UsbId value));
        Assert.Equal(expected, value);
        Assert.Equal($"0x{expected:x4}", value.ToString());
    }

    [Theory]
    [InlineData("0x1d6bb")]
    [InlineData("keyboard")]
    [InlineData("-1")]
    [InlineData("65536")]
    [InlineData("")]
    public void UsbIds_RefuseWhatIsNotA16BitNumber(string text) => Assert.False(UsbId.TryParse(text, null, out _));

    [Theory]
    [InlineData("Name", "a/b", "UsbGadget:Name = 'a/b' is not a usable configfs directory name")]
    [InlineData("Udc", "dummy_udc.0 ", "UsbGadget:Udc = 'dummy_udc.0 ' is not a UDC name")]
    [InlineData("FunctionFsMountRoot", "relative/dir", "UsbGadget:FunctionFsMountRoot = 'relative/dir' must be an absolute directory")]
    [InlineData("Product", "", "UsbGadget:Product is empty")]
    public void WrongStringSetting_IsNamedWithItsValue(string setting, string value, string expected)
    {
        var options = new UsbGadgetOptions();
        typeof(UsbGadgetOptions).GetProperty(setting)!.SetValue(options, value);

        ValidateOptionsResult result = Validate(options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(nameof(UsbGadgetOptions.MaxPowerMilliamps), 901, "UsbGadget:MaxPowerMilliamps = 901 is out of range")]
    [InlineData(nameof(UsbGadgetOptions.FunctionRestartLimit), -1, "UsbGadget:FunctionRestartLimit = -1 is out of range: use 0–1000.")]
    public void WrongNumberSetting_IsNamedWithItsValue(string setting, int value, string expected)
    {
        var options = new UsbGadgetOptions();
        typeof(UsbGadgetOptions).GetProperty(setting)!.SetValue(options, value);

        ValidateOptionsResult result = Validate(options);

        Assert.Contains(result.Failures!, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(nameof(UsbGadgetOptions.UsbVersion), 0x0250, "UsbGadget:UsbVersion = 0x0250 is not a USB release")]
    [InlineData(nameof(UsbGadgetOptions.DeviceVersion), 0x010a, "UsbGadget:DeviceVersion = 0x010a is not binary-coded decimal")]
    [InlineData(nameof(UsbGadgetOptions.DeviceProtocol), 0x100, "UsbGadget:DeviceProtocol = 0x0100 does not fit a byte")]
    [InlineData(nameof(UsbGadgetOptions.WebUsbVendorCode), 0xcd, "UsbGadget:WebUsbVendorCode = 0x00cd is the MS OS descriptors' vendor code")]
    public void WrongUsbIdSetting_IsNamedWithItsValue(string setting, int value, string expected)
    {
        var options = new UsbGadgetOptions();
        typeof(UsbGadgetOptions).GetProperty(setting)!.SetValue(options, new UsbId((ushort)value));

        Assert.Contains(Validate(options).Failures!, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(nameof(EndpointQueueOptions.OutTransferSize), 1000, "UsbGadget:Endpoints:OutTransferSize = 1000 must be a multiple of 1024")]
    [InlineData(nameof(EndpointQueueOptions.InTransferSize), 0, "UsbGadget:Endpoints:InTransferSize = 0 must be a multiple of 1024")]
    [InlineData(nameof(EndpointQueueOptions.OutQueueDepth), 0, "UsbGadget:Endpoints:OutQueueDepth = 0 is out of range: use 1–256.")]
    [InlineData(nameof(EndpointQueueOptions.InQueueDepth), 1000, "UsbGadget:Endpoints:InQueueDepth = 1000 is out of range")]
    public void WrongEndpointQueueSetting_IsNamedWithItsPathAndValue(string setting, int value, string expected)
    {
        var options = new UsbGadgetOptions();
        typeof(EndpointQueueOptions).GetProperty(setting)!.SetValue(options.Endpoints, value);

        Assert.Contains(Validate(options).Failures!, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void EndpointQueueSettings_AreTheOnesTheFunctionsGet()
    {
        var options = new UsbGadgetOptions { Endpoints = { OutQueueDepth = 3, InTransferSize = 4096 } };

        FunctionFsOptions functionFs = options.ToFunctionFsOptions("loopback");

        Assert.Same(options.Endpoints, functionFs.Endpoints);
    }

    [Fact]
    public void EndpointQueueSettings_FollowTheSameRulesAsFunctionFsOptions()
    {
        var options = new UsbGadgetOptions { Endpoints = { OutTransferSize = 512, InQueueDepth = 257 } };
        var functionFs = new FunctionFsOptions { Endpoints = { OutTransferSize = 512, InQueueDepth = 257 } };

        Assert.Equal(
            functionFs.GetValidationErrors("UsbGadget:"),
            Validate(options).Failures!);
    }

    [Fact]
    public void UnknownLanguageId_IsNamed()
    {
        var options = new UsbGadgetOptions { Languages = { ["german"] = new GadgetStringsOptions { Product = "Tastatur" } } };

        Assert.Contains(Validate(options).Failures!, f => f.StartsWith("UsbGadget:Languages:german is not a USB language id", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryProblem_IsReportedAtOnce()
    {
        var options = new UsbGadgetOptions { UsbVersion = 0x0123, DeviceClass = 0x1ff, Endpoints = { OutQueueDepth = 0 } };

        Assert.Equal(3, Validate(options).Failures!.Count());
    }
}
