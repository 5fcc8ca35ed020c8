namespace UsbGadget.Hosting;

/// <summary>The gadget could not start; the message says what is wrong and how to fix it.</summary>
public sealed class GadgetStartException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and what to do.</param>
    public GadgetStartException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">What is wrong and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public GadgetStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public GadgetStartException()
    {
    }
}
