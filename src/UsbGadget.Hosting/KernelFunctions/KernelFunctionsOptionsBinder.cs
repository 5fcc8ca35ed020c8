using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace UsbGadget.Hosting;

/// <summary>
/// Binds <see cref="KernelFunctionsOptions"/> from <c>UsbGadget:KernelFunctions</c> with the source-generated binder, after
/// the functions declared in code (a post-configure step), so code comes first in the default order. A value the binder
/// cannot read becomes one validation line instead of an exception with a stack trace.
/// </summary>
internal sealed class KernelFunctionsOptionsBinder(IConfiguration? configuration) : IPostConfigureOptions<KernelFunctionsOptions>
{
    public void PostConfigure(string? name, KernelFunctionsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (configuration is null)
        {
            return;
        }
        IConfigurationSection section = configuration.GetSection(KernelFunctionsOptions.SectionName);
        if (!section.Exists())
        {
            return;
        }
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException e)
        {
            // The binder names the key and the type: "Failed to convert configuration value at '...:Kind' to type '...NetworkKind'."
            options.UnreadableSettings.Add($"{e.Message} Fix that setting (enums by name, switches as true or false, numbers in decimal).");
        }
    }
}
