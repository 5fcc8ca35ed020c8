namespace UsbGadget.FunctionFs;

/// <summary>
/// A write found its endpoint disabled: the host deconfigured the device, reset the bus or went away, or the function
/// is stopping. Expected, not a fault: end the function's run (the framework runs it again at the next ENABLE).
/// </summary>
/// <remarks>
/// Reads say the same by returning 0, the end of the stream. An <see cref="IOException"/>, so that code written
/// against <see cref="Stream"/> handles it as it handles a closed connection.
/// </remarks>
public sealed class EndpointDisabledException : IOException
{
    /// <summary>Creates the exception for an endpoint disabled by the host.</summary>
    public EndpointDisabledException()
        : base("The endpoint is disabled: the host deconfigured the device, reset the bus or went away. End the function's run; it runs again when the host enables it.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public EndpointDisabledException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public EndpointDisabledException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal EndpointDisabledException(string endpoint, bool stopped)
        : base(stopped
            ? $"Endpoint {endpoint} is stopped: the function is shutting down, nothing more can be sent."
            : $"Endpoint {endpoint} is disabled: the host deconfigured the device, reset the bus or went away. End the function's run; it runs again when the host enables it.")
    {
    }
}
