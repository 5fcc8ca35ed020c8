using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using UsbGadget.Testing;

namespace UsbGadget.Templates.Tests;

/// <summary>What <c>dotnet pack</c> makes of the checkout: which packages, and what each of them carries.</summary>
[Collection(PackedRepositoryCollection.Name)]
[Trait("Category", "Packaging")]
public sealed partial class PackageTests(PackedRepository packed)
{
    private static readonly string[] s_libraries = ["UsbGadget.Aio", "UsbGadget", "UsbGadget.Hosting", "UsbGadget.Testing"];

    [Fact]
    public void Pack_MakesTheLibrariesToolsAndTemplate_AndNoSampleTestOrVmRunner_WithoutAWarning()
    {
        Assert.DoesNotMatch(@"(?m): warning [A-Z]+\d+", packed.Pack.StandardOutput);

        string[] packages = PackageIds();
        // Every project under src/ is a package unless it says <IsPackable>false</IsPackable> (the VM runner does).
        string[] expected = [.. PackedRepository.PackableProjects()
            .Where(p => !File.ReadAllText(Path.Combine(PackedRepository.RepositoryRoot, p)).Contains("<IsPackable>false</IsPackable>", StringComparison.Ordinal))
            .Select(PackageIdOf)
            .Order(StringComparer.Ordinal)];
        Assert.Equal(expected, packages);
        Assert.Subset(packages.ToHashSet(), new HashSet<string>([.. s_libraries, "UsbGadget.Templates"]));
        Assert.DoesNotContain(packages, id => id is "BulkLoopback" or "HidKeyboard" or "UsbGadget.VmRunner"
            || id.EndsWith(".Tests", StringComparison.Ordinal) || id.Contains("Benchmarks", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryPackage_CarriesTheMitLicenceAReadmeAndTheCommitItWasBuiltFrom()
    {
        foreach (string id in PackageIds())
        {
            using ZipArchive package = ZipFile.OpenRead(PackagePath(id, "nupkg"));
            XElement metadata = Nuspec(package);
            XNamespace ns = metadata.Name.Namespace;

            Assert.Equal("MIT", metadata.Element(ns + "license")?.Value);
            Assert.Equal("expression", metadata.Element(ns + "license")?.Attribute("type")?.Value);
            Assert.Equal("README.md", metadata.Element(ns + "readme")?.Value);
            Assert.True(package.GetEntry("README.md") is { Length: > 200 }, $"{id}: the README.md in the package is missing or nearly empty.");
            Assert.NotNull(package.GetEntry("LICENSE"));
            Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")?.Value), $"{id} has no description.");
            Assert.Equal(packed.Commit, metadata.Element(ns + "repository")?.Attribute("commit")?.Value);
            Assert.Equal(packed.Version, metadata.Element(ns + "version")?.Value);
        }
    }

    [Fact]
    public void EveryLibrary_ComesWithItsXmlDocs_AndASymbolPackageHoldingItsPdb()
    {
        foreach (string id in s_libraries)
        {
            using ZipArchive package = ZipFile.OpenRead(PackagePath(id, "nupkg"));
            Assert.NotNull(package.GetEntry($"lib/net10.0/{id}.dll"));
            Assert.NotNull(package.GetEntry($"lib/net10.0/{id}.xml"));

            using ZipArchive symbols = ZipFile.OpenRead(PackagePath(id, "snupkg"));
            Assert.NotNull(symbols.GetEntry($"lib/net10.0/{id}.pdb"));
        }
    }

    [Fact]
    public void TheTemplatePackage_IsATemplate_AndItsProjectsReferenceThePackagesOfItsOwnVersion()
    {
        using ZipArchive package = ZipFile.OpenRead(PackagePath("UsbGadget.Templates", "nupkg"));
        XElement metadata = Nuspec(package);
        XNamespace ns = metadata.Name.Namespace;

        Assert.Equal("Template", metadata.Element(ns + "packageTypes")?.Element(ns + "packageType")?.Attribute("name")?.Value);
        Assert.Null(metadata.Element(ns + "dependencies"));
        Assert.DoesNotContain(package.Entries, e => e.FullName.StartsWith("lib/", StringComparison.Ordinal));
        Assert.NotNull(package.GetEntry("content/usbgadget/.template.config/template.json"));
        using StreamReader props = new(package.GetEntry("content/usbgadget/Directory.Build.props")!.Open());
        Assert.Contains($"<UsbGadgetVersion>{packed.Version}</UsbGadgetVersion>", props.ReadToEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheVersion_ComesFromGit_AndACloneWithoutTagsGets0Point1Alpha()
    {
        // MinVer: a tag vX.Y.Z on the commit gives X.Y.Z; N commits after it, X.Y.(Z+1)-alpha.0.N; no tag, 0.1.0-alpha.0.N
        // with N the commits since the first one (MinVer follows first parents first where history has merges).
        HostCommandResult describe = await HostCommand.RunAsync(
            "git", ["describe", "--tags", "--abbrev=0", "--match", "v[0-9]*", packed.Commit], TimeSpan.FromSeconds(30), PackedRepository.RepositoryRoot);
        string expected;
        if (!describe.Succeeded)
        {
            int height = int.Parse((await Git("rev-list", "--count", "--first-parent", packed.Commit)).Trim(), System.Globalization.CultureInfo.InvariantCulture) - 1;
            expected = $"0.1.0-alpha.0.{height}";
        }
        else
        {
            string tag = describe.StandardOutput.Trim();
            int height = int.Parse((await Git("rev-list", "--count", "--first-parent", $"{tag}..{packed.Commit}")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            Match release = Regex.Match(tag, @"^v(\d+)\.(\d+)\.(\d+)$");
            expected = height == 0 ? tag[1..]
                : release.Success ? $"{release.Groups[1]}.{release.Groups[2]}.{int.Parse(release.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture) + 1}-alpha.0.{height}"
                : $"{tag[1..]}.{height}"; // after a pre-release tag (v1.0.0-rc.1), MinVer appends the height
        }

        Assert.Equal(expected, packed.Version);
    }

    private string[] PackageIds() =>
        [.. Directory.GetFiles(packed.Feed, "*.nupkg")
            .Select(f => PackageFileName().Match(Path.GetFileName(f)).Groups[1].Value)
            .Order(StringComparer.Ordinal)];

    private string PackagePath(string id, string extension) => Path.Combine(packed.Feed, $"{id}.{packed.Version}.{extension}");

    private static string PackageIdOf(string project)
    {
        Match packageId = Regex.Match(File.ReadAllText(Path.Combine(PackedRepository.RepositoryRoot, project)), "<PackageId>([^<]+)</PackageId>");
        return packageId.Success ? packageId.Groups[1].Value : Path.GetFileNameWithoutExtension(project);
    }

    private static XElement Nuspec(ZipArchive package)
    {
        ZipArchiveEntry nuspec = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/', StringComparison.Ordinal));
        using Stream stream = nuspec.Open();
        return XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static async Task<string> Git(params string[] arguments)
    {
        HostCommandResult result = await HostCommand.RunAsync("git", arguments, TimeSpan.FromSeconds(30), PackedRepository.RepositoryRoot);
        Assert.True(result.Succeeded, result.Describe());
        return result.StandardOutput;
    }

    // Id.Version.nupkg, where the version starts with a digit after the last dot before it.
    [GeneratedRegex(@"^(.+?)\.(\d+\.\d+\.\d+.*)\.nupkg$")]
    private static partial Regex PackageFileName();
}
