namespace UsbGadget.Testing;

/// <summary>
/// Builds a gadget app on the host for a run in the VM. The guest sees the host's files at the same paths, so the
/// output must not live under the host's <c>/tmp</c> (the guest mounts its own tmpfs there).
/// </summary>
public static class GadgetBuild
{
    /// <summary>
    /// Publishes a gadget project with NativeAOT and returns the path of its single native executable.
    /// </summary>
    /// <param name="projectPath">The app's .csproj.</param>
    /// <param name="outputDirectory">Where to publish; a second publish into it is incremental.</param>
    /// <param name="configuration">The build configuration.</param>
    /// <param name="runtimeIdentifier"><c>linux-x64</c> for the amd64 VM, <c>linux-arm64</c> for the arm64 VM (and a 64-bit Raspberry Pi OS).
    /// Cross-compiling from x64 to arm64 needs Debian's <c>clang llvm gcc-aarch64-linux-gnu libc6-dev-arm64-cross</c>.</param>
    /// <param name="cancellationToken">Cancels the publish (the process is killed).</param>
    /// <returns>The executable, named after the project.</returns>
    /// <exception cref="GadgetVmException">The publish failed or took over 10 minutes; the message carries its output.</exception>
    public static async Task<string> PublishNativeAotAsync(
        string projectPath, string outputDirectory, string configuration = "Release", string runtimeIdentifier = "linux-x64", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(projectPath);
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        string toolchain = runtimeIdentifier switch
        {
            "linux-x64" => "gcc zlib1g-dev",
            "linux-arm64" => "clang llvm gcc-aarch64-linux-gnu libc6-dev-arm64-cross",
            _ => throw new ArgumentException($"'{runtimeIdentifier}' is not a runtime the gadget VM runs; use linux-x64 or linux-arm64.", nameof(runtimeIdentifier)),
        };
        HostCommandResult result = await HostCommand.RunAsync(
            "dotnet",
            ["publish", projectPath, "-c", configuration, "-r", runtimeIdentifier, "-p:PublishAot=true", "-o", outputDirectory, "--nologo"],
            // A publish takes 1–2 min on a quiet 2-core machine, over 10 when other builds and VMs share it: the
            // limit only catches a hung toolchain.
            TimeSpan.FromMinutes(25),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        string executable = Path.Combine(outputDirectory, Path.GetFileNameWithoutExtension(projectPath));
        if (result.ExitCode != 0 || !File.Exists(executable))
        {
            throw new GadgetVmException(
                $"NativeAOT publish of {projectPath} for {runtimeIdentifier} failed. It needs a C toolchain on the build machine "
                + $"(apt-get install {toolchain}). {result.Describe()}");
        }

        return executable;
    }

    /// <summary>Builds a project (or solution) with <c>dotnet build</c>.</summary>
    /// <param name="projectPath">The .csproj or .sln.</param>
    /// <param name="configuration">The build configuration.</param>
    /// <param name="cancellationToken">Cancels the build (the process is killed).</param>
    /// <returns>A task that completes when the build succeeded.</returns>
    /// <exception cref="GadgetVmException">The build failed; the message carries its output.</exception>
    public static async Task BuildAsync(string projectPath, string configuration = "Release", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(projectPath);
        HostCommandResult result = await HostCommand.RunAsync(
            "dotnet", ["build", projectPath, "-c", configuration, "--nologo", "-v", "q"], TimeSpan.FromMinutes(10), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new GadgetVmException($"Building {projectPath} failed. {result.Describe()}");
        }
    }
}
