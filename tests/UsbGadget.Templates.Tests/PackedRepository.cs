using System.Diagnostics;
using System.Text.RegularExpressions;
using UsbGadget.Testing;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace UsbGadget.Templates.Tests;

/// <summary>
/// The checkout's packages as a user gets them: every packable project of the solution (the src/ libraries and tools
/// and the template) packed into a local feed, and the template installed into a private template hive. All of it
/// lives in one directory outside the checkout (so that the checkout's Directory.*.props cannot reach the projects
/// made from the template) and outside /tmp (which the test VM cannot see), removed at the end.
/// </summary>
public sealed partial class PackedRepository : IAsyncLifetime
{
    private readonly IMessageSink _sink;

    public PackedRepository(IMessageSink sink) => _sink = sink;

    public static string RepositoryRoot { get; } = RepositoryLayout.FindRoot("UsbGadget.sln");

    /// <summary>Everything the tests write: feed, hive, package cache and the projects made from the template.</summary>
    public string Root { get; private set; } = "";

    public string Feed => Path.Combine(Root, "feed");

    /// <summary>The template hive (<c>dotnet new --debug:custom-hive</c>), so that nothing is installed for the user.</summary>
    public string Hive => Path.Combine(Root, "hive");

    /// <summary>
    /// The NuGet package cache of the projects made from the template. A private one, because a package of the same
    /// version packed from other sources earlier would otherwise be taken from the user's cache instead of the feed.
    /// </summary>
    public string PackageCache => Path.Combine(Root, "packages");

    /// <summary>Where projects are made from the template; its NuGet.config lists the feed and nuget.org.</summary>
    public string Work => Path.Combine(Root, "work");

    /// <summary>The <c>dotnet pack</c> run.</summary>
    public HostCommandResult Pack { get; private set; } = null!;

    /// <summary>The commit the packages were built from (HEAD when packing started).</summary>
    public string Commit { get; private set; } = "";

    /// <summary>The packages' version, as MinVer derived it from git.</summary>
    public string Version { get; private set; } = "";

    /// <summary>Variables for every dotnet command run on behalf of a project made from the template.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["NUGET_PACKAGES"] = PackageCache,
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
    };

    public async Task InitializeAsync()
    {
        Root = CreateRoot();
        Directory.CreateDirectory(Work);

        // A solution filter of the packable projects: packing the whole solution would restore every test project too.
        string filter = Path.Combine(Root, "packages.slnf");
        string[] projects = PackableProjects().Select(p => $"\"{p}\"").ToArray();
        File.WriteAllText(filter, $$"""
            { "solution": { "path": "{{Path.Combine(RepositoryRoot, "UsbGadget.sln")}}", "projects": [ {{string.Join(", ", projects)}} ] } }
            """);

        HostCommandResult head = await HostCommand.RunAsync("git", ["rev-parse", "HEAD"], TimeSpan.FromSeconds(30), RepositoryRoot);
        Commit = head.Succeeded ? head.StandardOutput.Trim() : throw new InvalidOperationException($"The packages take their version from git: run this in a git clone. {head.Describe()}");

        Stopwatch stopwatch = Stopwatch.StartNew();
        // --artifacts-path keeps this build's bin/obj apart from the checkout's, which other test projects use meanwhile.
        // The solution's own build runs the analyzers over the same sources; here they would only double the pack's
        // CPU time (UsbGadget.Hosting with its dependencies: 44 s user with them, 20 s without; the IL is the same).
        Pack = await HostCommand.RunAsync(
            "dotnet",
            ["pack", filter, "-c", "Release", "-o", Feed, "--artifacts-path", Path.Combine(Root, "artifacts"), "-p:RunAnalyzers=false", "--nologo"],
            TimeSpan.FromMinutes(20),
            workingDirectory: Root);
        Log($"dotnet pack of {projects.Length} projects: {stopwatch.Elapsed.TotalSeconds:0} s");
        if (!Pack.Succeeded)
        {
            throw new InvalidOperationException($"Packing the checkout failed. {Pack.Describe()}");
        }

        string template = Directory.GetFiles(Feed, "UsbGadget.Templates.*.nupkg").Single();
        Version = Path.GetFileNameWithoutExtension(template)["UsbGadget.Templates.".Length..];

        HostCommandResult install = await DotnetAsync(Root, "new", "install", template, "--debug:custom-hive", Hive);
        if (!install.Succeeded)
        {
            throw new InvalidOperationException($"Installing the template failed. {install.Describe()}");
        }

        // The feed beside the machine's own sources and nuget.org. The user's package cache serves what nuget.org gave
        // before (read-only, as a fallback folder); the UsbGadget packages come from the feed into the private cache.
        string userPackages = System.Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string fallback = Directory.Exists(userPackages) ? $"""<fallbackPackageFolders><add key="user" value="{userPackages}" /></fallbackPackageFolders>""" : "";
        File.WriteAllText(Path.Combine(Work, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="local" value="{Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
              {fallback}
            </configuration>
            """);
    }

    public Task DisposeAsync()
    {
        if (Root.Length > 0 && Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }

        return Task.CompletedTask;
    }

    /// <summary>Runs <c>dotnet</c> with <see cref="Environment"/>, in <paramref name="directory"/>.</summary>
    public Task<HostCommandResult> DotnetAsync(string directory, params string[] arguments) =>
        HostCommand.RunAsync("dotnet", arguments, TimeSpan.FromMinutes(15), directory, Environment);

    public void Log(string line) => _sink.OnMessage(new DiagnosticMessage($"[templates] {line}"));

    /// <summary>The solution's projects under src/ and templates/: the ones that may be packages (each decides itself).</summary>
    public static IEnumerable<string> PackableProjects() =>
        SolutionProjectLine().Matches(File.ReadAllText(Path.Combine(RepositoryRoot, "UsbGadget.sln")))
            .Select(m => m.Groups[1].Value.Replace('\\', '/'))
            .Where(p => p.StartsWith("src/", StringComparison.Ordinal) || p.StartsWith("templates/", StringComparison.Ordinal));

    private static string CreateRoot()
    {
        // USBGADGET_TEMPLATE_TESTS_DIR moves it; /var/tmp is on the root filesystem, which the test VM shares.
        string parent = System.Environment.GetEnvironmentVariable("USBGADGET_TEMPLATE_TESTS_DIR") is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : "/var/tmp";
        string root = Path.Combine(parent, $"usbgadget-template-tests-{Guid.NewGuid():N}"[..34]);
        if (root.StartsWith("/tmp/", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"USBGADGET_TEMPLATE_TESTS_DIR={parent} is under /tmp, which the test VM cannot see: choose another directory.");
        }

        if (root.StartsWith(RepositoryRoot.TrimEnd('/') + "/", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"USBGADGET_TEMPLATE_TESTS_DIR={parent} is inside the checkout, whose build settings would apply to the new projects: choose a directory outside it.");
        }

        // What a killed run left behind (a day old: a run takes minutes, so none of these is still in use).
        foreach (string stale in Directory.Exists(parent) ? Directory.GetDirectories(parent, "usbgadget-template-tests-*") : [])
        {
            if (Directory.GetLastWriteTimeUtc(stale) < DateTime.UtcNow.AddDays(-1))
            {
                Directory.Delete(stale, recursive: true);
            }
        }

        Directory.CreateDirectory(root);
        return root;
    }

    [GeneratedRegex(@"^Project\(""\{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC\}""\) = ""[^""]+"", ""([^""]+\.csproj)""", RegexOptions.Multiline)]
    private static partial Regex SolutionProjectLine();
}

[CollectionDefinition(Name)]
public sealed class PackedRepositoryCollection : ICollectionFixture<PackedRepository>
{
    public const string Name = "PackedRepository";
}
