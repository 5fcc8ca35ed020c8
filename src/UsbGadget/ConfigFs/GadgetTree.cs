namespace UsbGadget.ConfigFs;

/// <summary>Reads the parts of a gadget's configfs tree that several steps need.</summary>
internal static class GadgetTree
{
    private const string FunctionFsPrefix = FunctionDefinition.FunctionFsType + ".";

    /// <summary>The FunctionFS instance names of the gadget at <paramref name="gadgetPath"/> (its <c>functions/ffs.*</c>); empty when it has none.</summary>
    public static List<string> FunctionFsInstances(IConfigFsIo io, string gadgetPath)
    {
        string functions = Path.Combine(gadgetPath, "functions");
        return io.DirectoryExists(functions)
            ? io.List(functions)
                .Where(e => e.Kind == ConfigFsEntryKind.Directory && e.Name.StartsWith(FunctionFsPrefix, StringComparison.Ordinal))
                .Select(e => e.Name[FunctionFsPrefix.Length..])
                .ToList()
            : [];
    }
}
