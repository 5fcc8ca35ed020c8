using System.Globalization;
using System.Text;

namespace UsbGadget.Hosting;

/// <summary>
/// FunctionFS instance names. One name is the configfs directory <c>functions/ffs.&lt;instance&gt;</c>, the mount
/// directory and the device name mount(2) looks the instance up by, in one list for the whole system: two gadgets that
/// carry the same function need two names.
/// </summary>
internal static class FunctionInstanceNames
{
    // configfs.c function_make: "ffs.<instance>" must fit MAX_NAME_LEN, 40 bytes with the NUL.
    public const int MaxLength = 35;

    private const int HashLength = 8;

    /// <summary>What is wrong with <paramref name="instance"/> as an instance name, or null when it is usable.</summary>
    public static string? Problem(string? instance) =>
        string.IsNullOrEmpty(instance) || instance.Length > MaxLength || !instance.All(IsAllowed)
            ? $"is not a usable FunctionFS instance name: use 1–{MaxLength} letters, digits, '-' or '_'."
            : null;

    /// <summary>
    /// The instance name of each function, in order: the configured one, else in <see cref="GadgetMode.Create"/> and
    /// <see cref="GadgetMode.Setup"/> one derived from the gadget and function names, else (Attach) the function name, which
    /// the hosted service replaces with the derived one when the gadget has it (a Setup run made the gadget).
    /// </summary>
    public static string[] Resolve(UsbGadgetOptions options, IReadOnlyList<string> functionNames) =>
        [.. functionNames.Select(function =>
            options.FunctionInstances.TryGetValue(function, out string? configured) ? configured
            : options.Mode is GadgetMode.Create or GadgetMode.Setup ? Derive(options.Name, function)
            : function)];

    /// <summary>
    /// <c>&lt;gadget&gt;-&lt;function&gt;</c> with other characters than letters, digits, '-' and '_' turned into '_'; when
    /// that is too long, its start and a hash of the whole, so different long names stay different.
    /// </summary>
    public static string Derive(string gadget, string function)
    {
        var builder = new StringBuilder(gadget.Length + 1 + function.Length);
        foreach (char c in $"{gadget}-{function}")
        {
            builder.Append(IsAllowed(c) ? c : '_');
        }
        string name = builder.ToString();
        if (name.Length <= MaxLength)
        {
            return name;
        }
        // FNV-1a: stable across runs and platforms, unlike string.GetHashCode.
        uint hash = 2166136261;
        foreach (char c in name)
        {
            hash = (hash ^ c) * 16777619;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{name[..(MaxLength - HashLength - 1)]}-{hash:x8}");
    }

    private static bool IsAllowed(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';
}
