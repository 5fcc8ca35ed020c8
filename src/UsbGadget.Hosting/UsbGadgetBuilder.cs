using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;

namespace UsbGadget.Hosting;

/// <summary>Adds functions to the gadget registered by <c>AddUsbGadget</c>. Several functions make a composite device.</summary>
public sealed class UsbGadgetBuilder
{
    internal UsbGadgetBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection the gadget is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Adds a function, created by dependency injection (so it can take options and loggers).</summary>
    /// <typeparam name="TFunction">The function type.</typeparam>
    /// <returns>This builder.</returns>
    public UsbGadgetBuilder AddFunction<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TFunction>()
        where TFunction : class, IGadgetFunction
    {
        Services.AddSingleton<TFunction>();
        Services.AddSingleton<IGadgetFunction>(sp => sp.GetRequiredService<TFunction>());
        return this;
    }

    /// <summary>Adds a function instance.</summary>
    /// <param name="function">The function.</param>
    /// <returns>This builder.</returns>
    public UsbGadgetBuilder AddFunction(IGadgetFunction function)
    {
        ArgumentNullException.ThrowIfNull(function);
        Services.AddSingleton(function);
        return this;
    }
}
