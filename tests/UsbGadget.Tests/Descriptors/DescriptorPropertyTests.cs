using CsCheck;
using UsbGadget.Descriptors;

namespace UsbGadget.Tests.Descriptors;

/// <summary>
/// Properties over generated descriptions (<see cref="FunctionDescriptionGenerators"/>): what the validator accepts
/// serialises to blobs the kernel's parser would read back consistently, and what it rejects names the field.
/// </summary>
/// <remarks>
/// A failure prints CsCheck's seed and the description. Reproduce it by passing that seed to the same property:
/// <c>.Sample(..., seed: "…")</c>, or build the description with <c>FunctionDescriptionGenerators.FromSeed("…")</c>
/// (valid generator only). Set the CsCheck_Seed environment variable to replay a seed across the whole run.
/// </remarks>
public class DescriptorPropertyTests
{
    private const int Iterations = 2000;

    private static readonly string[] s_roots = ["Speeds", "Strings", "Interfaces", "Associations", "MicrosoftOsDescriptors", "FunctionFsWriterOptions"];

    [Fact]
    public void EveryDescriptionBuiltByTheRules_IsAccepted()
    {
        FunctionDescriptionGenerators.Valid.Sample(
            description => Assert.Empty(DescriptorValidator.Validate(description)),
            iter: Iterations,
            print: FunctionDescriptionGenerators.Describe);
    }

    [Fact]
    public void EveryAcceptedDescription_SerialisesToBlobsTheKernelParserReadsBackConsistently()
    {
        FunctionDescriptionGenerators.Valid.Sample(
            description => AssertBlobsAgreeWithTheDescription(description, FunctionFsDescriptors.Create(description)),
            iter: Iterations,
            print: FunctionDescriptionGenerators.Describe);
    }

    [Fact]
    public void EveryDescriptionWithOneRuleBroken_IsRejectedWithAProblemAtTheBrokenField()
    {
        FunctionDescriptionGenerators.Invalid.Sample(
            invalid =>
            {
                IReadOnlyList<DescriptorProblem> problems = DescriptorValidator.Validate(invalid.Description);
                Assert.True(
                    problems.Any(p => p.Path == invalid.ExpectedPath),
                    $"Expected a problem at {invalid.ExpectedPath}; got:\n  {string.Join("\n  ", problems)}");

                var exception = Assert.Throws<DescriptorValidationException>(() => FunctionFsDescriptors.Create(invalid.Description));
                Assert.Equal("description", exception.ParamName);
                Assert.Contains(invalid.ExpectedPath + ": ", exception.Message, StringComparison.Ordinal);
                Assert.Equal(problems, exception.Problems);
            },
            iter: Iterations,
            print: invalid => invalid.ToString());
    }

    [Fact]
    public void EveryDescription_IsEitherRejectedNamingEachFieldInTheMessage_OrSerialisedConsistently()
    {
        Gen<FunctionDescription> any = Gen.Frequency(
            (1, FunctionDescriptionGenerators.Valid),
            (2, FunctionDescriptionGenerators.Invalid.Select(invalid => invalid.Description)));

        any.Sample(
            description =>
            {
                IReadOnlyList<DescriptorProblem> problems = DescriptorValidator.Validate(description);
                if (problems.Count == 0)
                {
                    AssertBlobsAgreeWithTheDescription(description, FunctionFsDescriptors.Create(description));
                    return;
                }

                var exception = Assert.Throws<DescriptorValidationException>(() => FunctionFsDescriptors.Create(description));
                foreach (DescriptorProblem problem in problems)
                {
                    Assert.Contains(s_roots, root => problem.Path.StartsWith(root, StringComparison.Ordinal));
                    Assert.False(string.IsNullOrWhiteSpace(problem.Message));
                    Assert.Contains($"{problem.Path}: {problem.Message}", exception.Message, StringComparison.Ordinal);
                }
            },
            iter: Iterations,
            print: FunctionDescriptionGenerators.Describe);
    }

    /// <summary>The blobs, read as f_fs.c reads them, carry exactly what the description says.</summary>
    private static void AssertBlobsAgreeWithTheDescription(FunctionDescription description, FunctionFsDescriptors blobs)
    {
        DescriptorsBlob descriptors = KernelBlobReader.ReadDescriptors(blobs.DescriptorsBlob.Span);
        StringsBlob strings = KernelBlobReader.ReadStrings(blobs.StringsBlob.Span);

        uint speedFlags = descriptors.Flags & 7;
        Assert.Equal((uint)description.Speeds, speedFlags);
        Assert.Equal(description.VirtualAddresses, (descriptors.Flags & 16) != 0);
        Assert.Equal(description.AllControlRecipients, (descriptors.Flags & 64) != 0);
        Assert.Equal(description.Config0Setup, (descriptors.Flags & 128) != 0);

        int interfaceCount = description.Interfaces.Max(f => f.Number) + 1;
        byte[] addresses = [.. description.Interfaces.SelectMany(f => f.Endpoints).Select(e => e.Address)];
        Assert.Equal(addresses, blobs.Endpoints.Select(e => e.Address));
        Assert.Equal(Enumerable.Range(1, addresses.Length), blobs.Endpoints.Select(e => e.Index));
        int baseCount = description.Interfaces.Count
            + description.Associations.Count
            + description.Interfaces.Sum(f => f.ClassDescriptors.Count);
        for (int speed = 0; speed < 3; speed++)
        {
            SpeedDescriptors? read = descriptors.Speeds[speed];
            if (((int)description.Speeds & (1 << speed)) == 0)
            {
                Assert.Null(read);
                continue;
            }

            Assert.NotNull(read);
            int expected = baseCount + (addresses.Length * (speed == 2 ? 2 : 1)); // SuperSpeed adds a companion per endpoint
            Assert.Equal(expected, read.Count);
            Assert.Equal(interfaceCount, read.InterfaceCount);
            Assert.Equal(addresses, read.EndpointAddresses);
            Assert.True(read.MaxStringIndex <= strings.StringCount, $"a descriptor refers to string {read.MaxStringIndex} of {strings.StringCount}");
        }

        int osCount = description.MicrosoftOsDescriptors.Sum(o => (o.CompatibleId is null ? 0 : 1) + (o.Properties.Count > 0 ? 1 : 0));
        Assert.Equal(osCount, descriptors.Os.Count);
        Assert.Equal(osCount > 0, (descriptors.Flags & 8) != 0);

        int stringCount = description.Strings.StringCount;
        Assert.Equal(stringCount, strings.StringCount);
        if (stringCount > 0)
        {
            Assert.Equal(description.Strings.Select(l => l.Key), strings.Languages.Select(l => l.Language));
            foreach (var (language, values) in strings.Languages)
            {
                Assert.Equal(description.Strings[language], values);
            }
        }
    }
}
