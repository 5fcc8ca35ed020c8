using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CsCheck;
using UsbGadget.Descriptors;
using UsbGadget.Testing;
using UsbGadget.Tests.Descriptors;

namespace UsbGadget.EndToEnd.Tests;

/// <summary>
/// The validator and the real kernel agree: every generated description <see cref="DescriptorValidator"/> accepts is
/// also accepted by f_fs when written to ep0, and a subset binds to dummy_udc.0 and enumerates with the strings the
/// description names. Known-invalid blobs are refused, so the check can fail.
/// </summary>
/// <remarks>
/// Cases come from <see cref="FunctionDescriptionGenerators.Valid"/> with CsCheck PCG stream <c>i</c> and seed
/// <see cref="Seed"/>. A failure prints each failing case's seed text and description; rebuild it on the host with
/// <c>FunctionDescriptionGenerators.FromSeed("…")</c>, and replay the blobs in the VM with
/// <c>dotnet run --project src/UsbGadget.VmRunner -- exec "python3 tests/vm/ffs_descriptor_check.py DIR"</c> on a
/// directory holding NAME.desc, NAME.strings and a manifest.tsv line "NAME&lt;TAB&gt;1" (the failing run leaves them in
/// the test's bin/…/descriptor-cases directory).
/// </remarks>
public sealed class DescriptorKernelAgreementTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    private const ulong Seed = 20260601;
    private const int CaseCount = 200;
    private const int BindCount = 16;

    [Fact]
    public async Task EveryGeneratedDescriptionTheValidatorAccepts_IsAcceptedByTheKernel_AndASubsetBindsAndEnumeratesWithItsStrings()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        string directory = CasesDirectory("descriptor-cases");
        var cases = new List<GeneratedCase>();
        for (int i = 0; i < CaseCount; i++)
        {
            var pcg = new PCG((uint)i, Seed);
            string seed = pcg.ToString();
            FunctionDescription description = FunctionDescriptionGenerators.Valid.Generate(pcg, null!, out _);
            FunctionFsDescriptors blobs = FunctionFsDescriptors.Create(description); // throws if the generator strays: unit properties cover that
            bool bind = cases.Count(c => c.Bind) < BindCount && FitsDummyUdc(description);
            cases.Add(new GeneratedCase($"c{i:D3}", seed, description, blobs.DescriptorsBlob.ToArray(), blobs.StringsBlob.ToArray(), bind));
        }

        var stopwatch = Stopwatch.StartNew();
        Dictionary<string, JsonElement> results = await RunCasesAsync(directory, cases.Select(c => (c.Name, c.Descriptors, c.Strings, c.Bind)));
        TimeSpan elapsed = stopwatch.Elapsed;

        var failures = new List<string>();
        int accepted = 0, bound = 0, udcRefused = 0;
        foreach (GeneratedCase c in cases)
        {
            JsonElement result = results[c.Name];
            string descriptors = result.GetProperty("descriptors").GetString()!;
            string? strings = result.TryGetProperty("strings", out JsonElement s) ? s.GetString() : null;
            if (descriptors != "ok" || strings != "ok")
            {
                failures.Add(c.Describe($"the kernel refused it: descriptors {descriptors}, strings {strings ?? "not written"}"));
                continue;
            }

            accepted++;
            if (!c.Bind)
            {
                continue;
            }

            string bind = result.GetProperty("bind").GetString()!;
            if (bind.StartsWith("ENOTSUPP", StringComparison.Ordinal))
            {
                udcRefused++; // dummy_udc has no endpoint left of the kind asked for: a UDC limit, not a descriptor fault
                continue;
            }

            if (bind != "ok" || !result.GetProperty("configured").GetBoolean())
            {
                string log = result.TryGetProperty("kernel_log", out JsonElement lines) ? string.Join("\n    ", lines.EnumerateArray().Select(l => l.GetString())) : "";
                failures.Add(c.Describe($"binding to {GadgetVm.UdcName} gave '{bind}', configured: {result.GetProperty("configured")}\n    {log}"));
                continue;
            }

            bound++;
            JsonElement interfaces = result.GetProperty("interfaces");
            foreach (var (number, expected) in ExpectedInterfaceStrings(c.Description))
            {
                string? seen = interfaces.TryGetProperty(number.ToString(CultureInfo.InvariantCulture), out JsonElement name) ? name.GetString() : "(interface missing)";
                if (seen != expected)
                {
                    failures.Add(c.Describe($"the host read interface {number}'s string as {Quote(seen)}, expected {Quote(expected)}"));
                }
            }
        }

        Fixture.Log($"descriptor agreement: {accepted}/{CaseCount} accepted by the kernel ({Vm.KernelRelease}), {bound}/{cases.Count(c => c.Bind)} bound and enumerated with matching interface strings ({udcRefused} beyond dummy_udc's endpoints), guest run {elapsed.TotalSeconds:0.0} s");
        Assert.True(failures.Count == 0, $"{failures.Count} of {CaseCount} cases disagree with the kernel (PCG seed {Seed}):\n\n{string.Join("\n\n", failures)}");
        Assert.True(bound >= 5, $"only {bound} cases bound; the bind-time check hardly ran");
    }

    [Fact]
    public async Task KnownInvalidBlobs_AreRefusedByTheKernel_SoTheAgreementCheckCanFail()
    {
        FunctionFsDescriptors bulk = FunctionFsDescriptors.Create(new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0, NameIndex = 1, Endpoints = [EndpointDescription.Bulk(EndpointDirection.In, 1), EndpointDescription.Bulk(EndpointDirection.Out, 2)] }],
            Strings = StringTable.Single(LanguageIds.EnglishUnitedStates, "data"),
        });
        FunctionFsDescriptors hid = FunctionFsDescriptors.Create(new FunctionDescription
        {
            Interfaces = [InterfaceDescription.Hid(0, HidReportDescriptors.BootKeyboard, EndpointDescription.Interrupt(EndpointDirection.In, 1, 8, TimeSpan.FromMilliseconds(10)))],
        });
        byte[] strings = bulk.StringsBlob.ToArray();
        byte[] noStrings = [0x02, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

        // Each: a valid blob with one thing broken, the write that must fail, and the errno f_fs.c gives.
        (string Name, byte[] Descriptors, byte[] Strings, string Stage, string Errno)[] cases =
        [
            ("header-length", Patch(bulk.DescriptorsBlob, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)b.Length + 1)), strings, "descriptors", "EINVAL"),
            ("unknown-flag", Patch(bulk.DescriptorsBlob, b => b[9] |= 0x01), strings, "descriptors", "ENOSYS"),   // flag bit 8
            ("endpoint-zero", Patch(bulk.DescriptorsBlob, b => b[FirstOfType(b, 0x05) + 2] = 0x80), strings, "descriptors", "EINVAL"),
            ("unknown-type", Patch(bulk.DescriptorsBlob, b => b[FirstOfType(b, 0x05) + 1] = 0x07), strings, "descriptors", "EINVAL"),
            ("hid-on-vendor", Patch(hid.DescriptorsBlob, b => b[FirstOfType(b, 0x04) + 5] = 0xFF), hid.StringsBlob.ToArray(), "descriptors", "EINVAL"),
            ("missing-string", bulk.DescriptorsBlob.ToArray(), noStrings, "strings", "EINVAL"),
        ];

        Dictionary<string, JsonElement> results = await RunCasesAsync(CasesDirectory("descriptor-invalid"), cases.Select(c => (c.Name, c.Descriptors, c.Strings, false)));

        foreach (var c in cases)
        {
            JsonElement result = results[c.Name];
            string? answer = result.TryGetProperty(c.Stage, out JsonElement a) ? a.GetString() : null;
            Assert.True(answer?.StartsWith(c.Errno + " ", StringComparison.Ordinal) == true, $"{c.Name}: expected the {c.Stage} write to fail with {c.Errno}, got {result}");
        }
    }

    [Fact]
    public async Task TheHostSeesOnlyTheFirst126Utf8BytesOfAString_WhichIsWhyTheValidatorCountsUtf8Bytes()
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        FunctionFsDescriptors blobs = FunctionFsDescriptors.Create(new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0, NameIndex = 1, Endpoints = [EndpointDescription.Bulk(EndpointDirection.In, 1)] }],
            Strings = StringTable.Single(LanguageIds.German, "placeholder"),
        });
        string longName = new('é', 64); // 64 UTF-16 code units (the old limit was 126 of those), 128 UTF-8 bytes
        Assert.Contains(DescriptorValidator.Validate(new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0, NameIndex = 1 }],
            Strings = StringTable.Single(LanguageIds.German, longName),
        }), p => p.Path == "Strings[0x0407][0]");

        Dictionary<string, JsonElement> results = await RunCasesAsync(
            CasesDirectory("descriptor-truncation"), [("utf8", blobs.DescriptorsBlob.ToArray(), StringsBlob(LanguageIds.German, longName), true)]);

        JsonElement result = results["utf8"];
        Assert.True(result.GetProperty("bind").GetString() == "ok" && result.GetProperty("configured").GetBoolean(), result.ToString());
        Assert.Equal(new string('é', 63), result.GetProperty("interfaces").GetProperty("0").GetString());
    }

    /// <summary>
    /// dummy_hcd runs at high speed here, has no isochronous support and a fixed set of endpoints. HID interfaces are
    /// left out: the host's usbhid then waits on class requests that nobody answers on ep0 in this check. So are
    /// virtual addresses: f_fs keeps the descriptor's address, dummy_udc assigns its own endpoint numbers, and
    /// SET_CONFIGURATION then fails (config_ep_by_speed returns EIO, the host sees EPIPE): a UDC matter, not a
    /// descriptor one.
    /// </summary>
    private static bool FitsDummyUdc(FunctionDescription description)
    {
        EndpointDescription[] endpoints = [.. description.Interfaces.SelectMany(f => f.Endpoints)];
        return (description.Speeds & UsbSpeeds.High) != 0
            && endpoints.Length <= 4
            && endpoints.All(e => e.Type != EndpointTransferType.Isochronous)
            && description.Interfaces.All(f => f.Class != UsbClass.Hid)
            && !description.VirtualAddresses;
    }

    /// <summary>usbcore caches alternate setting 0's iInterface in the host's first language; empty strings are not cached.</summary>
    private static IEnumerable<(int Number, string? Name)> ExpectedInterfaceStrings(FunctionDescription description)
    {
        IReadOnlyList<string>? first = description.Strings.StringCount > 0 ? description.Strings.First().Value : null;
        foreach (InterfaceDescription f in description.Interfaces.Where(f => f.AlternateSetting == 0))
        {
            string? name = f.NameIndex == 0 || first is null ? null : first[f.NameIndex - 1];
            yield return (f.Number, string.IsNullOrEmpty(name) ? null : name);
        }
    }

    private async Task<Dictionary<string, JsonElement>> RunCasesAsync(string directory, IEnumerable<(string Name, byte[] Descriptors, byte[] Strings, bool Bind)> cases)
    {
        var manifest = new StringBuilder();
        foreach (var (name, descriptors, strings, bind) in cases)
        {
            await File.WriteAllBytesAsync(Path.Combine(directory, name + ".desc"), descriptors);
            await File.WriteAllBytesAsync(Path.Combine(directory, name + ".strings"), strings);
            manifest.Append(name).Append('\t').Append(bind ? '1' : '0').Append('\n');
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "manifest.tsv"), manifest.ToString());
        GuestCommandResult run = await Vm.RunAsync(GuestShell.Join("/usr/bin/python3", VmScript("ffs_descriptor_check.py"), directory), TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, $"The guest check itself failed.{Environment.NewLine}{run.Describe()}");
        var results = new Dictionary<string, JsonElement>();
        foreach (string line in run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            JsonElement result = JsonDocument.Parse(line).RootElement;
            results[result.GetProperty("case").GetString()!] = result;
        }

        return results;
    }

    /// <summary>A directory in the test's build output: the guest sees the host root at the same path (but not the host's /tmp).</summary>
    private static string CasesDirectory(string name)
    {
        string directory = Path.Combine(AppContext.BaseDirectory, name);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Directory.CreateDirectory(directory);
        return directory;
    }

    private static byte[] Patch(ReadOnlyMemory<byte> blob, Action<byte[]> patch)
    {
        byte[] copy = blob.ToArray();
        patch(copy);
        return copy;
    }

    /// <summary>Offset of the first descriptor of a type in a v2 blob with no eventfd and all three speeds.</summary>
    private static int FirstOfType(byte[] blob, byte type)
    {
        for (int offset = 24; offset < blob.Length; offset += blob[offset])
        {
            if (blob[offset + 1] == type)
            {
                return offset;
            }
        }

        throw new InvalidOperationException($"no descriptor of type 0x{type:X2}");
    }

    /// <summary>A strings blob written by hand, to hand the kernel what the validator now refuses.</summary>
    private static byte[] StringsBlob(ushort language, string value)
    {
        byte[] text = Encoding.UTF8.GetBytes(value);
        var blob = new byte[16 + 2 + text.Length + 1];
        BinaryPrimitives.WriteUInt32LittleEndian(blob, 2);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), (uint)blob.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(12), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(blob.AsSpan(16), language);
        text.CopyTo(blob.AsSpan(18));
        return blob;
    }

    private static string Quote(string? value) => value is null ? "none" : $"\"{value}\"";

    private sealed record GeneratedCase(string Name, string Seed, FunctionDescription Description, byte[] Descriptors, byte[] Strings, bool Bind)
    {
        public string Describe(string problem) =>
            $"{Name}: {problem}\n  reproduce: FunctionDescriptionGenerators.FromSeed(\"{Seed}\")\n  {FunctionDescriptionGenerators.Describe(Description).Replace("\n", "\n  ", StringComparison.Ordinal)}" +
            $"descriptors {Convert.ToHexStringLower(Descriptors)}\n  strings {Convert.ToHexStringLower(Strings)}";
    }
}
