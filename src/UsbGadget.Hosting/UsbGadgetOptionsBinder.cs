using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace UsbGadget.Hosting;

/// <summary>
/// Binds <see cref="UsbGadgetOptions"/> from the <c>UsbGadget</c> section like <c>BindConfiguration</c> does, except that a
/// number, switch, duration or mode that cannot be read is left at its default and recorded in
/// <see cref="UsbGadgetOptions.UnreadableSettings"/>. The validator reports those beside every other wrong setting, one line
/// each; the binder alone would throw at the first one, with a stack trace and no word about the others.
/// </summary>
internal sealed class UsbGadgetOptionsBinder(IConfiguration? configuration) : IConfigureOptions<UsbGadgetOptions>
{
    private const string Section = UsbGadgetOptions.SectionName;

    // Every setting that is not a string, with what the binder would parse it as. Strings and Languages always bind.
    private static readonly (string Key, Kind Kind)[] s_typedSettings =
    [
        (nameof(UsbGadgetOptions.Mode), Kind.Mode),
        (nameof(UsbGadgetOptions.BindUdc), Kind.Switch),
        (nameof(UsbGadgetOptions.MaxPowerMilliamps), Kind.WholeNumber),
        (nameof(UsbGadgetOptions.SelfPowered), Kind.Switch),
        (nameof(UsbGadgetOptions.MicrosoftOsDescriptors), Kind.Switch),
        (nameof(UsbGadgetOptions.OutQueueDepth), Kind.WholeNumber),
        (nameof(UsbGadgetOptions.OutTransferSize), Kind.WholeNumber),
        (nameof(UsbGadgetOptions.InQueueDepth), Kind.WholeNumber),
        (nameof(UsbGadgetOptions.InTransferSize), Kind.WholeNumber),
        (nameof(UsbGadgetOptions.RemoveStaleGadgets), Kind.Switch),
        (nameof(UsbGadgetOptions.StopTimeout), Kind.Duration),
    ];

    private enum Kind
    {
        WholeNumber,
        Switch,
        Duration,
        Mode,
    }

    public void Configure(UsbGadgetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (configuration is null)
        {
            return;
        }
        IConfigurationSection section = configuration.GetSection(Section);
        var unreadable = new List<string>();
        var hidden = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach ((string key, Kind kind) in s_typedSettings)
        {
            string? value = section[key];
            if (value is null || (value.Length > 0 && CanRead(kind, value)))
            {
                continue;
            }
            // An empty value (UsbGadget__OutQueueDepth=) means "not set": the default stays, as with a missing key.
            hidden.Add(key);
            if (value.Length > 0)
            {
                unreadable.Add($"{Section}:{key} = '{value}' {Expected(kind, key, options)}");
            }
        }
        if (hidden.Count == 0)
        {
            section.Bind(options);
        }
        else
        {
            new HidingConfiguration(section, hidden).Bind(options);
        }
        options.UnreadableSettings = unreadable;
    }

    // The same parsing as the configuration binder's.
    private static bool CanRead(Kind kind, string value) => kind switch
    {
        Kind.WholeNumber => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
        Kind.Switch => bool.TryParse(value, out _),
        Kind.Duration => TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out _),
        _ => Enum.TryParse<GadgetMode>(value, ignoreCase: true, out _),
    };

    private static string Expected(Kind kind, string key, UsbGadgetOptions defaults) => kind switch
    {
        Kind.WholeNumber => string.Create(CultureInfo.InvariantCulture, $"is not a whole number: write it in decimal digits, such as {DefaultOf(key, defaults)}."),
        Kind.Switch => "is not a switch: use true or false.",
        Kind.Duration => string.Create(CultureInfo.InvariantCulture, $"is not a duration: write it as hh:mm:ss, such as {defaults.StopTimeout}."),
        _ => "is not a mode: use Create or Attach.",
    };

    private static int DefaultOf(string key, UsbGadgetOptions defaults) => key switch
    {
        nameof(UsbGadgetOptions.MaxPowerMilliamps) => defaults.MaxPowerMilliamps,
        nameof(UsbGadgetOptions.OutQueueDepth) => defaults.OutQueueDepth,
        nameof(UsbGadgetOptions.OutTransferSize) => defaults.OutTransferSize,
        nameof(UsbGadgetOptions.InQueueDepth) => defaults.InQueueDepth,
        _ => defaults.InTransferSize,
    };

    /// <summary>The section without some of its keys: the binder sees them as absent.</summary>
    private sealed class HidingConfiguration(IConfigurationSection inner, HashSet<string> hidden) : IConfiguration
    {
        public string? this[string key]
        {
            get => hidden.Contains(key) ? null : inner[key];
            set => inner[key] = value;
        }

        public IEnumerable<IConfigurationSection> GetChildren() => inner.GetChildren().Where(c => !hidden.Contains(c.Key));

        public IChangeToken GetReloadToken() => inner.GetReloadToken();

        public IConfigurationSection GetSection(string key) => hidden.Contains(key) ? new AbsentSection(inner.Path + ":" + key, key) : inner.GetSection(key);
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
