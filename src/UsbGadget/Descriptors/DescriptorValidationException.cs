using System.Text;

namespace UsbGadget.Descriptors;

/// <summary>One broken rule in a <see cref="FunctionDescription"/>.</summary>
/// <param name="Path">The field, as a C# access path from the description, e.g. <c>Interfaces[0].Endpoints[1].MaxPacketSize (high speed)</c>.</param>
/// <param name="Message">The rule, the value found and how to fix it.</param>
public sealed record DescriptorProblem(string Path, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>
/// Thrown before anything reaches the kernel when a <see cref="FunctionDescription"/> would be rejected by FunctionFS
/// (which says only EINVAL) or breaks the USB specification. Lists every problem found, each with its field path.
/// </summary>
public sealed class DescriptorValidationException : ArgumentException
{
    /// <summary>Creates the exception for a list of problems.</summary>
    /// <param name="problems">At least one problem.</param>
    /// <param name="paramName">The argument that held the description.</param>
    public DescriptorValidationException(IReadOnlyList<DescriptorProblem> problems, string? paramName = "description")
        : base(FormatMessage(problems), paramName)
    {
        Problems = problems;
    }

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<DescriptorProblem> Problems { get; }

    private static string FormatMessage(IReadOnlyList<DescriptorProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var message = new StringBuilder();
        message.Append(problems.Count == 1
            ? "The USB function description is invalid: "
            : $"The USB function description has {problems.Count} problems:");
        if (problems.Count == 1)
        {
            message.Append(problems[0]);
        }
        else
        {
            foreach (DescriptorProblem problem in problems)
            {
                message.Append("\n  - ").Append(problem);
            }
        }

        return message.ToString();
    }
}
