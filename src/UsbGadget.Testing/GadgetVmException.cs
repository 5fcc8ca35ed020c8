namespace UsbGadget.Testing;

/// <summary>
/// Thrown when the test VM cannot be prepared, does not boot, dies, or a guest command fails or times out.
/// The message says what went wrong and how to fix it, and includes the tail of the guest console or kernel log when there is one.
/// </summary>
public sealed class GadgetVmException : Exception
{
    /// <summary>Creates an exception with no message.</summary>
    public GadgetVmException()
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What went wrong and how to fix it.</param>
    public GadgetVmException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <param name="innerException">The cause.</param>
    public GadgetVmException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
