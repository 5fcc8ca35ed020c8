using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace UsbGadget.Hosting;

/// <summary>
/// A 16-bit number from a USB device descriptor (idVendor, idProduct, bcdDevice, bcdUSB), written the way USB people
/// write it: <c>0x1d6b</c> in configuration, <c>0x1d6b</c> in code.
/// </summary>
/// <remarks>
/// In configuration (appsettings.json, environment variables, the command line) it reads hex with a <c>0x</c> prefix or
/// plain decimal digits. In code a number converts to it: <c>o.ProductId = 0x0105;</c>.
/// </remarks>
[TypeConverter(typeof(UsbIdConverter))]
public readonly record struct UsbId : ISpanParsable<UsbId>, ISpanFormattable
{
    /// <summary>Creates the id.</summary>
    /// <param name="value">The 16-bit value.</param>
    public UsbId(ushort value) => Value = value;

    /// <summary>The 16-bit value.</summary>
    public ushort Value { get; }

    /// <summary>Converts a number to an id.</summary>
    /// <param name="value">The 16-bit value.</param>
    public static implicit operator UsbId(ushort value) => new(value);

    /// <summary>The id's 16-bit value.</summary>
    /// <param name="id">The id.</param>
    public static implicit operator ushort(UsbId id) => id.Value;

    /// <summary>Converts a number to an id.</summary>
    /// <param name="value">The 16-bit value.</param>
    /// <returns>The id.</returns>
    public static UsbId FromUInt16(ushort value) => new(value);

    /// <summary>The id's 16-bit value.</summary>
    /// <returns>The value.</returns>
    public ushort ToUInt16() => Value;

    /// <summary>Reads <c>0x1d6b</c> (hex) or <c>7531</c> (decimal).</summary>
    /// <param name="s">The text.</param>
    /// <param name="provider">Ignored: the forms are culture-invariant.</param>
    /// <returns>The id.</returns>
    /// <exception cref="FormatException">The text is neither form, or the number does not fit 16 bits.</exception>
    public static UsbId Parse(string s, IFormatProvider? provider)
    {
        ArgumentNullException.ThrowIfNull(s);
        return Parse(s.AsSpan(), provider);
    }

    /// <inheritdoc cref="Parse(string, IFormatProvider?)"/>
    public static UsbId Parse(ReadOnlySpan<char> s, IFormatProvider? provider) =>
        TryParse(s, provider, out UsbId result) ? result : throw new FormatException($"'{s}' is not a 16-bit number: write it in hex, such as 0x1d6b.");

    /// <summary>Tries to read <c>0x1d6b</c> (hex) or <c>7531</c> (decimal).</summary>
    /// <param name="s">The text.</param>
    /// <param name="provider">Ignored: the forms are culture-invariant.</param>
    /// <param name="result">The id, when the text is one.</param>
    /// <returns>Whether the text is a 16-bit number.</returns>
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out UsbId result) =>
        TryParse(s.AsSpan(), provider, out result);

    /// <inheritdoc cref="TryParse(string?, IFormatProvider?, out UsbId)"/>
    public static bool TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out UsbId result)
    {
        ReadOnlySpan<char> text = s.Trim();
        bool ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ushort.TryParse(text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort value)
            : ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        result = new UsbId(value);
        return ok;
    }

    /// <summary>The id as USB people write it: <c>0x1d6b</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"0x{Value:x4}");

    /// <inheritdoc/>
    public string ToString(string? format, IFormatProvider? formatProvider) =>
        string.IsNullOrEmpty(format) ? ToString() : Value.ToString(format, formatProvider);

    /// <inheritdoc/>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        format.IsEmpty
            ? destination.TryWrite(CultureInfo.InvariantCulture, $"0x{Value:x4}", out charsWritten)
            : Value.TryFormat(destination, out charsWritten, format, provider);
}

/// <summary>Lets reflection-based configuration binding read <see cref="UsbId"/> from text.</summary>
internal sealed class UsbIdConverter : TypeConverter
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) =>
        sourceType == typeof(string) || base.CanConvertFrom(context, sourceType);

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text ? UsbId.Parse(text, CultureInfo.InvariantCulture) : base.ConvertFrom(context, culture, value);
}
