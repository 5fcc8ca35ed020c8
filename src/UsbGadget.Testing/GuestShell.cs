using System.Text;

namespace UsbGadget.Testing;

/// <summary>Helpers for composing guest shell commands.</summary>
public static class GuestShell
{
    /// <summary>Quotes a string as one POSIX shell word (single quotes; embedded quotes escaped).</summary>
    /// <param name="value">Any text.</param>
    /// <returns>The quoted word, safe to paste into a command line.</returns>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var builder = new StringBuilder(value.Length + 2);
        builder.Append('\'');
        foreach (char c in value)
        {
            if (c == '\'')
            {
                builder.Append("'\\''");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.Append('\'').ToString();
    }

    /// <summary>Quotes each argument with <see cref="Quote"/> and joins them with spaces.</summary>
    /// <param name="arguments">The words of a command line.</param>
    /// <returns>A command line.</returns>
    public static string Join(params IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        return string.Join(' ', arguments.Select(Quote));
    }
}
