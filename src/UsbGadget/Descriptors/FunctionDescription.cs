namespace UsbGadget.Descriptors;

/// <summary>
/// Everything one FunctionFS function presents to the host: interfaces with their endpoints, strings in one or more
/// languages, Microsoft OS descriptors and the FunctionFS behaviour flags. Pure data; turn it into the bytes for
/// ep0 with <see cref="FunctionFsDescriptors.Create(FunctionDescription, FunctionFsWriterOptions?)"/>, which
/// validates it first.
/// </summary>
/// <example>
/// A vendor bulk function with one IN and one OUT endpoint at every speed, named in two languages, that Windows
/// binds to WinUSB:
/// <code>
/// var description = new FunctionDescription
/// {
///     Interfaces =
///     [
///         new InterfaceDescription
///         {
///             Number = 0,
///             NameIndex = 1,
///             Endpoints = [EndpointDescription.Bulk(EndpointDirection.In, 1), EndpointDescription.Bulk(EndpointDirection.Out, 1)],
///         },
///     ],
///     Strings = new StringTable
///     {
///         [LanguageIds.EnglishUnitedStates] = ["Data pipe"],
///         [LanguageIds.German] = ["Datenkanal"],
///     },
///     MicrosoftOsDescriptors = [MicrosoftOsInterfaceDescriptors.WinUsb(0, new Guid("..."))],
/// };
/// FunctionFsDescriptors blobs = FunctionFsDescriptors.Create(description);
/// // write blobs.DescriptorsBlob, then blobs.StringsBlob, to ep0; then open blobs.Endpoints[i].FileName.
/// </code>
/// </example>
public sealed class FunctionDescription
{
    /// <summary>
    /// Interface descriptors in the order they are written: interface 0 alternate 0, its other alternate settings,
    /// then interface 1, and so on.
    /// </summary>
    public required IReadOnlyList<InterfaceDescription> Interfaces { get; init; }

    /// <summary>Interface association descriptors.</summary>
    /// <remarks>Defaults to empty.</remarks>
    public IReadOnlyList<InterfaceAssociationDescription> Associations { get; init; } = [];

    /// <summary>Strings referenced by 1-based indexes from interfaces and associations.</summary>
    /// <remarks>Defaults to an empty table.</remarks>
    public StringTable Strings { get; init; } = new();

    /// <summary>Microsoft OS 1.0 descriptors, at most one entry per interface.</summary>
    /// <remarks>Defaults to empty.</remarks>
    public IReadOnlyList<MicrosoftOsInterfaceDescriptors> MicrosoftOsDescriptors { get; init; } = [];

    /// <summary>Speeds to write descriptors for.</summary>
    /// <remarks>Defaults to <see cref="UsbSpeeds.All"/>: the UDC picks the one it runs at.</remarks>
    public UsbSpeeds Speeds { get; init; } = UsbSpeeds.All;

    /// <summary>
    /// FUNCTIONFS_ALL_CTRL_RECIP: forward control requests addressed to the device or "other" recipient to ep0,
    /// not only those addressed to this function's interfaces and endpoints. Without it they stall.
    /// </summary>
    /// <remarks>Defaults to false.</remarks>
    public bool AllControlRecipients { get; init; }

    /// <summary>
    /// FUNCTIONFS_CONFIG0_SETUP: forward control requests while the device is unconfigured (configuration 0).
    /// </summary>
    /// <remarks>Defaults to false.</remarks>
    public bool Config0Setup { get; init; }

    /// <summary>
    /// FUNCTIONFS_VIRTUAL_ADDR: endpoint files are named after the endpoint address (ep81, ep02) and control
    /// requests to endpoints carry the addresses from these descriptors rather than the hardware ones.
    /// </summary>
    /// <remarks>Defaults to false: files are ep1..epN in descriptor order.</remarks>
    public bool VirtualAddresses { get; init; }
}
