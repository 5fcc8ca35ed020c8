using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using UsbGadget.FunctionFs;

namespace UsbGadget.Hosting;

/// <summary>
/// Binds <see cref="UsbGadgetOptions"/> from the <c>UsbGadget</c> section with the source-generated configuration binder,
/// except that a setting whose text cannot be read as its type is left at its default and recorded in
/// <see cref="UsbGadgetOptions.UnreadableSettings"/>. The validator reports those beside every other wrong setting, one line
/// each; the generated binder alone throws at the first one, with a stack trace and no word about the others.
/// </summary>
/// <remarks>
/// Each setting is first bound on its own into a scratch instance: the generated binder's exception then names the
/// setting that failed. The settings that bound are then bound together into the real options. <see cref="UsbId"/>
/// settings are read here with <see cref="UsbId.TryParse(string?, IFormatProvider?, out UsbId)"/>: the generator reads only
/// the framework's own scalar types and would take the struct for an object with settings of its own.
/// </remarks>
internal sealed class UsbGadgetOptionsBinder(IConfiguration? configuration) : IConfigureOptions<UsbGadgetOptions>
{
    private const string Section = UsbGadgetOptions.SectionName;

    private static readonly PropertyInfo[] s_usbIdSettings =
        [.. typeof(UsbGadgetOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.PropertyType == typeof(UsbId))];

    public void Configure(UsbGadgetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (configuration is null)
        {
            return;
        }
        IConfigurationSection section = configuration.GetSection(Section);
        // Settings the generated binder must not see, as paths below the section: those it cannot read, and the UsbIds read here.
        var withheld = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (IConfigurationSection setting in section.GetChildren())
        {
            if (s_usbIdSettings.FirstOrDefault(p => string.Equals(p.Name, setting.Key, StringComparison.OrdinalIgnoreCase)) is { } usbId)
            {
                withheld.Add(setting.Key);
                if (string.IsNullOrEmpty(setting.Value))
                {
                    // Empty means not set, as the generated binder treats every other scalar.
                    continue;
                }
                if (UsbId.TryParse(setting.Value, CultureInfo.InvariantCulture, out UsbId value))
                {
                    usbId.SetValue(options, value);
                }
                else
                {
                    options.UnreadableSettings.Add($"{Section}:{setting.Key} = '{setting.Value}' {Expected(setting.Key, options)}");
                }
                continue;
            }
            if (string.Equals(setting.Key, nameof(UsbGadgetOptions.Endpoints), StringComparison.OrdinalIgnoreCase))
            {
                // A group of settings: each one is judged on its own, so one bad value does not hide the others.
                foreach (IConfigurationSection inner in setting.GetChildren())
                {
                    CheckReadable(section, $"{setting.Key}:{inner.Key}", inner.Value, options, withheld);
                }
                continue;
            }
            CheckReadable(section, setting.Key, setting.Value, options, withheld);
        }
        if (withheld.Count == 0)
        {
            section.Bind(options);
        }
        else
        {
            new FilteredSection(section, string.Empty, path => !withheld.Any(w => IsSameOrBelow(path, w))).Bind(options);
        }
    }

    /// <summary>Binds the one setting at <paramref name="path"/> into a scratch instance; withholds and reports it if that throws.</summary>
    private static void CheckReadable(IConfigurationSection section, string path, string? value, UsbGadgetOptions options, HashSet<string> withheld)
    {
        try
        {
            new FilteredSection(section, string.Empty, p => IsSameOrBelow(p, path) || IsSameOrBelow(path, p)).Bind(new UsbGadgetOptions());
        }
        catch (InvalidOperationException)
        {
            withheld.Add(path);
            options.UnreadableSettings.Add($"{Section}:{path} = '{value}' {Expected(path, options)}");
        }
    }

    private static bool IsSameOrBelow(string path, string ancestor) =>
        path.StartsWith(ancestor, StringComparison.OrdinalIgnoreCase) && (path.Length == ancestor.Length || path[ancestor.Length] == ':');

    /// <summary>What a valid value of the setting looks like, from the property's type and its value before binding.</summary>
    private static string Expected(string path, UsbGadgetOptions current)
    {
        const BindingFlags Flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase;
        int separator = path.IndexOf(':', StringComparison.Ordinal);
        PropertyInfo? property;
        object? example;
        if (separator < 0)
        {
            property = typeof(UsbGadgetOptions).GetProperty(path, Flags);
            example = property?.GetValue(current);
        }
        else
        {
            // The one group of settings (Endpoints); nothing else nests below a scalar the binder can fail on.
            property = typeof(EndpointQueueOptions).GetProperty(path[(separator + 1)..], Flags);
            example = property?.GetValue(current.Endpoints);
        }
        Type? type = property?.PropertyType;
        if (type == typeof(int))
        {
            return string.Create(CultureInfo.InvariantCulture, $"is not a whole number: write it in decimal digits, such as {example}.");
        }
        if (type == typeof(bool))
        {
            return "is not a switch: use true or false.";
        }
        if (type == typeof(TimeSpan))
        {
            return string.Create(CultureInfo.InvariantCulture, $"is not a duration: write it as hh:mm:ss, such as {example}.");
        }
        if (type == typeof(UsbId))
        {
            return $"is not a 16-bit number: write it in hex, such as {example}.";
        }
        if (type is { IsEnum: true })
        {
            return $"is not one of: {string.Join(", ", Enum.GetNames(type))}.";
        }
        return $"cannot be read as {type?.Name ?? "its type"}: see docs/hosting.md for its form.";
    }

    /// <summary>
    /// The section with only the settings whose path below the options section <paramref name="include"/> accepts: the
    /// binder sees the others as absent.
    /// </summary>
    private sealed class FilteredSection(IConfigurationSection inner, string relativePath, Func<string, bool> include) : IConfigurationSection
    {
        public string Key => inner.Key;

        public string Path => inner.Path;

        public string? Value
        {
            get => inner.Value;
            set => inner.Value = value;
        }

        public string? this[string key]
        {
            get => include(Below(key)) ? inner[key] : null;
            set => inner[key] = value;
        }

        public IEnumerable<IConfigurationSection> GetChildren() =>
            inner.GetChildren().Where(c => include(Below(c.Key))).Select(c => new FilteredSection(c, Below(c.Key), include));

        public IChangeToken GetReloadToken() => inner.GetReloadToken();

        public IConfigurationSection GetSection(string key) =>
            include(Below(key)) ? new FilteredSection(inner.GetSection(key), Below(key), include) : new AbsentSection(inner.Path + ":" + key, key);

        private string Below(string key) => relativePath.Length == 0 ? key : relativePath + ":" + key;
    }

    private sealed class AbsentSection(string path, string key) : IConfigurationSection
    {
        public string Key => key;

        public string Path => path;

        public string? Value
        {
            get => null;
            set { }
        }

        public string? this[string key]
        {
            get => null;
            set { }
        }

        public IEnumerable<IConfigurationSection> GetChildren() => [];

        public IChangeToken GetReloadToken() => new CancellationChangeToken(CancellationToken.None);

        public IConfigurationSection GetSection(string key) => new AbsentSection(path + ":" + key, key);
    }
}
