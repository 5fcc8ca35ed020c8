using System.Text.RegularExpressions;
using UsbGadget.Testing;

namespace UsbGadget.Docs.Tests;

/// <summary>
/// The README is the first thing a newcomer runs. These specifications keep it true: its C# compiles (each block is a
/// compiled file of the solution), its commands name things that exist, its links resolve, and it stays short.
/// </summary>
public sealed partial class ReadmeTests
{
    private static readonly string s_root = RepositoryLayout.FindRoot("UsbGadget.sln");
    private static readonly MarkdownDocument s_readme = MarkdownDocument.Load(Path.Combine(s_root, "README.md"));

    // Where README's C# may come from: files the solution compiles.
    private static readonly string[] s_compiledSnippetRoots = ["gadgets", Path.Combine("tests", "UsbGadget.ReadmeSnippet")];

    [Fact]
    public void Readme_IsAtMost250Lines()
    {
        Assert.True(s_readme.LineCount <= 250, $"README.md has {s_readme.LineCount} lines; keep it to 250 and move depth to docs/.");
    }

    [Fact]
    public void EveryCSharpBlock_IsTheTextOfACompiledFile()
    {
        IReadOnlyList<string> blocks = s_readme.CodeBlocks("csharp");
        Assert.NotEmpty(blocks);
        string[] sources = [.. s_compiledSnippetRoots.SelectMany(CompiledSources).Select(File.ReadAllText)];
        foreach (string block in blocks)
        {
            Assert.True(
                sources.Any(source => ContainsLines(source, block)),
                $"This C# block of README.md is not in any compiled file under {string.Join(" or ", s_compiledSnippetRoots)}; " +
                $"put it in tests/UsbGadget.ReadmeSnippet/Program.cs (or a sample) and copy it from there:\n{block}");
        }
    }

    [Fact]
    public void EveryPathInItsCommands_Exists()
    {
        string[] missing =
        [
            .. s_readme.CodeBlocks("sh")
                .SelectMany(block => RepositoryPath().Matches(block))
                .Select(m => m.Groups["path"].Value.TrimEnd('.', ','))
                .Distinct()
                .Where(path => !File.Exists(Path.Combine(s_root, path)) && !Directory.Exists(Path.Combine(s_root, path))),
        ];
        Assert.True(missing.Length == 0, $"README.md's commands name paths that do not exist: {string.Join(", ", missing)}");
    }

    [Fact]
    public void EverySampleTheVmRunnerIsToldToRun_IsAGadgetOfTheRepository()
    {
        MatchCollection runs = VmRunnerSample().Matches(s_readme.Text);
        Assert.NotEmpty(runs);
        foreach (Match run in runs)
        {
            string sample = run.Groups["sample"].Value;
            Assert.True(Directory.Exists(Path.Combine(s_root, "gadgets", sample)), $"README.md runs the sample '{sample}', but gadgets/{sample} does not exist.");
        }
    }

    [Fact]
    public void TheTestCommand_IsTheOneCiRuns()
    {
        string command = s_readme.CodeBlocks("sh").SelectMany(b => b.Split('\n')).Single(line => line.StartsWith("dotnet test ", StringComparison.Ordinal)).Trim();
        string ci = File.ReadAllText(Path.Combine(s_root, ".ci", "run"));
        Assert.True(ci.Contains(command, StringComparison.Ordinal), $".ci/run does not run README.md's test command '{command}'.");
    }

    [Fact]
    public void EveryRelativeLink_InTheReadmeAndDocs_PointsAtAFileThatExists()
    {
        IEnumerable<string> documents = [Path.Combine(s_root, "README.md"), .. Directory.EnumerateFiles(Path.Combine(s_root, "docs"), "*.md")];
        var broken = new List<string>();
        foreach (string path in documents)
        {
            MarkdownDocument document = MarkdownDocument.Load(path);
            string directory = Path.GetDirectoryName(path)!;
            broken.AddRange(document.RelativeLinkTargets()
                .Where(target => !File.Exists(Path.Combine(directory, target)) && !Directory.Exists(Path.Combine(directory, target)))
                .Select(target => $"{Path.GetRelativePath(s_root, path)} → {target}"));
        }

        Assert.True(broken.Count == 0, "Broken links: " + string.Join("; ", broken));
    }

    private static IEnumerable<string> CompiledSources(string relativeRoot) =>
        Directory.EnumerateFiles(Path.Combine(s_root, relativeRoot), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    // Whether the block's lines occur, in order and adjacent, in the source; indentation may differ (an excerpt of a
    // class member is indented in its file), the words may not.
    private static bool ContainsLines(string source, string block)
    {
        string[] haystack = [.. source.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim())];
        string[] needle = [.. block.Split('\n').Select(l => l.Trim())];
        for (int start = 0; start + needle.Length <= haystack.Length; start++)
        {
            if (haystack.AsSpan(start, needle.Length).SequenceEqual(needle))
            {
                return true;
            }
        }

        return false;
    }

    [GeneratedRegex(@"(?<![\w/.-])(?:\./)?(?<path>(?:src|gadgets|tests|configfs-scripts|docs)/[\w./-]+)")]
    private static partial Regex RepositoryPath();

    [GeneratedRegex(@"--project src/UsbGadget\.VmRunner -- (?<sample>\w+)")]
    private static partial Regex VmRunnerSample();
}
