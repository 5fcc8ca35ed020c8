using System.Text;
using System.Text.RegularExpressions;

namespace UsbGadget.Testing;

/// <summary>One Debian suite to read packages from, e.g. <c>http://deb.debian.org/debian</c> <c>bookworm-backports</c> <c>main</c>.</summary>
/// <param name="Uri">The archive root.</param>
/// <param name="Name">The suite (codename), e.g. <c>trixie-backports</c>.</param>
/// <param name="Components">Space-separated components.</param>
internal sealed record DebianSuite(string Uri, string Name, string Components = "main");

/// <summary>
/// Reads and downloads Debian packages through apt with its own sources list, package lists and cache under
/// <see cref="StateDirectory"/>, so suites and architectures the machine does not use (backports, a newer release,
/// arm64) are reachable without touching the machine's apt configuration or its installed-package state.
/// </summary>
/// <remarks>
/// Every apt call gets <c>-o Dir::Etc::sourcelist=… -o Dir::Etc::sourceparts=- -o Dir::State::Lists=… -o Dir::Cache=…
/// -o APT::Architectures::=ARCH</c>. Callers serialise access to one state directory (the VM cache lock does).
/// </remarks>
internal sealed partial class DebianArchive
{
    /// <summary>Debian's own keyring (package <c>debian-archive-keyring</c>); bookworm's carries the trixie keys too.</summary>
    private const string Keyring = "/usr/share/keyrings/debian-archive-keyring.gpg";

    private static readonly TimeSpan s_aptTimeout = TimeSpan.FromMinutes(15);

    private readonly string _sourcesList;
    private readonly string _lists;
    private readonly string _cache;

    /// <summary>Creates the archive's state directory and sources list.</summary>
    /// <param name="stateDirectory">Where apt keeps this archive's lists and cache (created if missing).</param>
    /// <param name="suites">The suites to read.</param>
    /// <param name="architecture">A Debian architecture, e.g. <c>amd64</c> or <c>arm64</c>.</param>
    public DebianArchive(string stateDirectory, IReadOnlyList<DebianSuite> suites, string architecture)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateDirectory);
        ArgumentException.ThrowIfNullOrEmpty(architecture);
        if (suites is null || suites.Count == 0)
        {
            throw new ArgumentException("At least one suite is needed.", nameof(suites));
        }

        StateDirectory = Path.GetFullPath(stateDirectory);
        Suites = suites;
        Architecture = architecture;
        _sourcesList = Path.Combine(StateDirectory, "sources.list");
        _lists = Path.Combine(StateDirectory, "lists");
        _cache = Path.Combine(StateDirectory, "cache");
        Directory.CreateDirectory(Path.Combine(_lists, "partial"));
        Directory.CreateDirectory(Path.Combine(_cache, "archives", "partial"));

        string signedBy = File.Exists(Keyring) ? $" signed-by={Keyring}" : "";
        var text = new StringBuilder();
        foreach (DebianSuite suite in suites)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"deb [arch={architecture}{signedBy}] {suite.Uri} {suite.Name} {suite.Components}\n");
        }

        // Rewritten only when it changes, so an unchanged archive keeps its lists' age.
        string content = text.ToString();
        if (!File.Exists(_sourcesList) || File.ReadAllText(_sourcesList) != content)
        {
            File.WriteAllText(_sourcesList, content);
            File.Delete(Path.Combine(StateDirectory, ".updated"));
        }
    }

    /// <summary>Where this archive's sources list, package lists and downloaded packages live.</summary>
    public string StateDirectory { get; }

    /// <summary>The suites read.</summary>
    public IReadOnlyList<DebianSuite> Suites { get; }

    /// <summary>The Debian architecture packages are read for.</summary>
    public string Architecture { get; }

    /// <summary>The apt options that point apt at this archive's own state instead of the machine's.</summary>
    public IReadOnlyList<string> AptOptions =>
    [
        "-o", $"Dir::Etc::sourcelist={_sourcesList}",
        "-o", "Dir::Etc::sourceparts=-",
        "-o", $"Dir::State::Lists={_lists}",
        "-o", $"Dir::Cache={_cache}",
        "-o", $"APT::Architectures::={Architecture}",
        "-o", $"APT::Architecture={Architecture}",
    ];

    /// <summary>
    /// The Debian archive root the machine's own apt sources use (a URI ending in <c>/debian</c>, e.g. a local mirror),
    /// or <c>http://deb.debian.org/debian</c> when they name none.
    /// </summary>
    /// <param name="archive"><c>debian</c> for the main archive, <c>debian-security</c> for security updates.</param>
    /// <returns>A URI without a trailing slash.</returns>
    public static string MachineMirror(string archive = "debian")
    {
        var files = new List<string>();
        if (File.Exists("/etc/apt/sources.list"))
        {
            files.Add("/etc/apt/sources.list");
        }

        if (Directory.Exists("/etc/apt/sources.list.d"))
        {
            files.AddRange(Directory.EnumerateFiles("/etc/apt/sources.list.d").Where(f => f.EndsWith(".list", StringComparison.Ordinal) || f.EndsWith(".sources", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        }

        foreach (string file in files)
        {
            foreach (string rawLine in File.ReadLines(file))
            {
                string line = rawLine.Trim();
                if (line.StartsWith('#'))
                {
                    continue;
                }

                foreach (Match match in UriPattern().Matches(line))
                {
                    string uri = match.Value.TrimEnd('/');
                    if (uri.EndsWith("/" + archive, StringComparison.Ordinal))
                    {
                        return uri;
                    }
                }
            }
        }

        return $"http://deb.debian.org/{archive}";
    }

    /// <summary>Runs <c>apt-get update</c> for this archive unless its lists are younger than <paramref name="maxAge"/>.</summary>
    /// <param name="maxAge">How old the lists may be; <see cref="TimeSpan.Zero"/> always updates.</param>
    /// <param name="log">Receives a line when an update runs.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    /// <returns>A task that completes when the lists are fresh.</returns>
    /// <exception cref="GadgetVmException">apt-get update failed; the message has the whole command.</exception>
    public async Task UpdateAsync(TimeSpan maxAge, Action<string> log, CancellationToken cancellationToken)
    {
        string stamp = Path.Combine(StateDirectory, ".updated");
        if (maxAge > TimeSpan.Zero && File.Exists(stamp) && DateTime.UtcNow - File.GetLastWriteTimeUtc(stamp) < maxAge)
        {
            return;
        }

        log($"reading package lists of {string.Join(", ", Suites.Select(s => s.Name))} ({Architecture}) into {StateDirectory}");
        HostCommandResult result = await AptAsync("apt-get", ["update"], null, cancellationToken).ConfigureAwait(false);

        // apt-get update exits 0 even when a suite could not be fetched; its "W:/E:" lines say so.
        if (result.ExitCode != 0 || result.StandardError.Contains("E: ", StringComparison.Ordinal) || result.StandardError.Contains("Failed to fetch", StringComparison.Ordinal))
        {
            throw new GadgetVmException(
                $"Reading the Debian package lists failed: {result.Describe()}{Environment.NewLine}Check network access to {string.Join(", ", Suites.Select(s => s.Uri).Distinct())} and run that command again.");
        }

        File.WriteAllText(stamp, DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The names of the real (downloadable) packages whose name matches <paramref name="namePattern"/>.</summary>
    /// <param name="namePattern">A POSIX extended regular expression over the package name, as <c>apt-cache search --names-only</c> takes it.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>The package names, in no particular order.</returns>
    /// <exception cref="GadgetVmException">apt-cache failed.</exception>
    public async Task<IReadOnlyList<string>> FindPackagesAsync(string namePattern, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(namePattern);
        HostCommandResult result = await AptAsync("apt-cache", ["search", "--names-only", namePattern], null, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new GadgetVmException($"Searching the Debian package lists failed: {result.Describe()}");
        }

        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 2)[0])
            .Distinct(StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>Downloads a package's <c>.deb</c> (its candidate version) into <paramref name="directory"/>.</summary>
    /// <param name="package">The package name; <c>name:arch</c> is added for you when the architecture is not the machine's.</param>
    /// <param name="directory">Where the <c>.deb</c> goes (created if missing).</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The path of the downloaded <c>.deb</c>.</returns>
    /// <exception cref="GadgetVmException">The download failed; the message names the apt command that failed.</exception>
    public async Task<string> DownloadAsync(string package, string directory, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(package);
        Directory.CreateDirectory(directory);
        string qualified = package.Contains(':', StringComparison.Ordinal) ? package : $"{package}:{Architecture}";
        HashSet<string> before = [.. Directory.EnumerateFiles(directory, "*.deb")];
        HostCommandResult result = await AptAsync("apt-get", ["download", qualified], directory, cancellationToken).ConfigureAwait(false);
        string? deb = Directory.EnumerateFiles(directory, "*.deb").FirstOrDefault(f => !before.Contains(f));
        if (result.ExitCode != 0 || deb is null)
        {
            throw new GadgetVmException(
                $"Downloading {package} failed: {result.Describe()}{Environment.NewLine}Check network access, then run that command again in {directory}.");
        }

        return deb;
    }

    private Task<HostCommandResult> AptAsync(string program, string[] arguments, string? workingDirectory, CancellationToken cancellationToken) =>
        HostCommand.RunAsync(
            program, [.. AptOptions, .. arguments], s_aptTimeout, workingDirectory,
            new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" }, cancellationToken);

    [GeneratedRegex(@"(?:https?|file|ftp)://[^\s\]]+")]
    private static partial Regex UriPattern();
}
