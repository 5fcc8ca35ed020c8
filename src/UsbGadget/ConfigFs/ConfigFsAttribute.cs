using System.Globalization;
using System.Text;

namespace UsbGadget.ConfigFs;

/// <summary>
/// One value written to a configfs attribute file, by a path relative to its item
/// (for example <c>report_desc</c> or <c>lun.0/file</c>). The value is written with a single write(2),
/// which is how configfs expects it.
/// </summary>
/// <param name="Name">The attribute path relative to the item directory, with '/' between parts.</param>
/// <param name="Value">The bytes to write.</param>
public sealed record ConfigFsAttribute(string Name, ReadOnlyMemory<byte> Value)
{
    /// <summary>An attribute holding text (UTF-8, no trailing newline added).</summary>
    /// <param name="name">The attribute path relative to the item directory.</param>
    /// <param name="value">The text.</param>
    public static ConfigFsAttribute Text(string name, string value) => new(name, Encoding.UTF8.GetBytes(value));

    /// <summary>An attribute holding a number, written in decimal.</summary>
    /// <param name="name">The attribute path relative to the item directory.</param>
    /// <param name="value">The number.</param>
    public static ConfigFsAttribute Number(string name, long value) =>
        Text(name, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>An attribute holding a boolean, written as 1 or 0 (the kernel reads it with kstrtobool).</summary>
    /// <param name="name">The attribute path relative to the item directory.</param>
    /// <param name="value">The flag.</param>
    public static ConfigFsAttribute Flag(string name, bool value) => Text(name, value ? "1" : "0");

    /// <summary>An attribute holding raw bytes, such as a HID report descriptor.</summary>
    /// <param name="name">The attribute path relative to the item directory.</param>
    /// <param name="value">The bytes.</param>
    public static ConfigFsAttribute Binary(string name, ReadOnlyMemory<byte> value) => new(name, value);

    /// <summary>The value as text for logs and messages; hex when it is not printable ASCII.</summary>
    internal string DisplayValue => Display(Value.Span);

    /// <inheritdoc/>
    public override string ToString() => $"{Name}={DisplayValue}";

    private static string Display(ReadOnlySpan<byte> value)
    {
        foreach (byte b in value)
        {
            if (b < 0x20 || b > 0x7e)
            {
                return "0x" + Convert.ToHexStringLower(value);
            }
        }
        return Encoding.ASCII.GetString(value);
    }
}
