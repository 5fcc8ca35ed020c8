namespace UsbGadget.Tests.Descriptors;

internal static class Hex
{
    /// <summary>Lower-case hex of the bytes, no separators.</summary>
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>Joins hex fragments written with spaces or separate parts for readability.</summary>
    public static string Join(params string[] parts) => string.Concat(parts).Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant();
}
