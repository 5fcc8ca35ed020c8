namespace UsbGadget.Descriptors;

/// <summary>
/// A validated function, encoded for FunctionFS: write <see cref="DescriptorsBlob"/> and then
/// <see cref="StringsBlob"/> to ep0, then open the files in <see cref="Endpoints"/>.
/// </summary>
public sealed class FunctionFsDescriptors
{
    private FunctionFsDescriptors(FunctionDescription description, byte[] descriptors, byte[] strings, IReadOnlyList<FunctionFsEndpoint> endpoints)
    {
        Description = description;
        DescriptorsBlob = descriptors;
        StringsBlob = strings;
        Endpoints = endpoints;
    }

    /// <summary>The description these blobs were made from.</summary>
    public FunctionDescription Description { get; }

    /// <summary>The FUNCTIONFS_DESCRIPTORS_MAGIC_V2 blob: the first write to ep0.</summary>
    public ReadOnlyMemory<byte> DescriptorsBlob { get; }

    /// <summary>The FUNCTIONFS_STRINGS_MAGIC blob: the second write to ep0.</summary>
    public ReadOnlyMemory<byte> StringsBlob { get; }

    /// <summary>Endpoint files in order: element i is ep(i+1) (or named by address with virtual addresses).</summary>
    public IReadOnlyList<FunctionFsEndpoint> Endpoints { get; }

    /// <summary>Validates a description and encodes it.</summary>
    /// <param name="description">The function.</param>
    /// <param name="options">Run-time inputs (eventfd, MS OS bcdVersion).</param>
    /// <returns>The blobs and the endpoint list.</returns>
    /// <exception cref="DescriptorValidationException">The description breaks a USB or FunctionFS rule; the message lists every problem with its field path.</exception>
    public static FunctionFsDescriptors Create(FunctionDescription description, FunctionFsWriterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(description);
        options ??= new FunctionFsWriterOptions();

        DescriptorValidator.ThrowIfInvalid(description, options);

        return new FunctionFsDescriptors(
            description,
            FunctionFsDescriptorWriter.WriteDescriptors(description, options),
            FunctionFsDescriptorWriter.WriteStrings(description),
            FunctionFsDescriptorWriter.ListEndpoints(description));
    }
}
