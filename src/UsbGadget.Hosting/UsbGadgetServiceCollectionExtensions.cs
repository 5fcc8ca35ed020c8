using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using UsbGadget.Hosting;

#pragma warning disable IDE0130 // Extension methods live where IServiceCollection does, as Microsoft.Extensions does it.
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Registers a USB gadget and its functions in the .NET generic host.</summary>
public static class UsbGadgetServiceCollectionExtensions
{
    /// <summary>
    /// Registers the gadget: options bound from the <c>UsbGadget</c> configuration section and validated on start, the
    /// hosted service that creates, binds, runs and tears down the gadget, metrics and systemd readiness.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Code-side defaults, applied before configuration (so appsettings and the command line win).</param>
    /// <returns>A builder to add the gadget's functions with.</returns>
    public static UsbGadgetBuilder AddUsbGadget(this IServiceCollection services, Action<UsbGadgetOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<UsbGadgetOptions> options = services.AddOptions<UsbGadgetOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        // Bound after the code-side defaults; a value that cannot be read becomes a validation failure, not a binder exception.
        services.AddSingleton<IConfigureOptions<UsbGadgetOptions>>(sp => new UsbGadgetOptionsBinder(sp.GetService<IConfiguration>()));
        options.ValidateOnStart();
        // SIGTERM and Ctrl+C: the app's other hosted services get StopTimeout too, not the host's default 30 s.
        services.AddOptions<HostOptions>().Configure<IOptions<UsbGadgetOptions>>(static (host, gadget) =>
        {
            try
            {
                host.ShutdownTimeout = gadget.Value.StopTimeout;
            }
            catch (OptionsValidationException)
            {
                // The host reads its options while being built; invalid gadget settings are reported by RunGadgetAsync.
            }
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UsbGadgetOptions>, UsbGadgetOptionsValidator>());

        KernelFunctionRegistration.AddKernelFunctions(services);
        services.TryAddSingleton<IGadgetBackend>(sp => new KernelGadgetBackend(sp.GetRequiredService<ILoggerFactory>()));
        services.TryAddSingleton(sp => new GadgetMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<SystemdNotifier>();
        services.TryAddSingleton<UsbGadgetStatus>();
        services.AddHostedService<GadgetHostedService>();
        return new UsbGadgetBuilder(services);
    }
}
