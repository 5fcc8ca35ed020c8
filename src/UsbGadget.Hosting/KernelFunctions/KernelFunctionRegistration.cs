using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace UsbGadget.Hosting;

/// <summary>The services behind kernel functions, registered by <c>AddUsbGadget</c>.</summary>
internal static class KernelFunctionRegistration
{
    public static void AddKernelFunctions(IServiceCollection services)
    {
        services.AddOptions<KernelFunctionsOptions>().ValidateOnStart();
        services.AddSingleton<IPostConfigureOptions<KernelFunctionsOptions>>(sp => new KernelFunctionsOptionsBinder(sp.GetService<IConfiguration>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KernelFunctionsOptions>, KernelFunctionsOptionsValidator>());
        services.TryAddSingleton<KernelFunctionDevices>();
    }
}
