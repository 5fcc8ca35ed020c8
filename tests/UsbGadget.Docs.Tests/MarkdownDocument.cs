using System.Text.RegularExpressions;

namespace UsbGadget.Docs.Tests;

/// <summary>A Markdown file of the repository, read for its fenced code blocks and relative links.</summary>
internal sealed partial class MarkdownDocument
{
    private MarkdownDocument(string path, string text)
    {
        Path = path;
        Text = text;
    }

    public string Path { get; }

    public string Text { get; }

    public int LineCount => Text.TrimEnd('\n').Split('\n').Length;

    public static MarkdownDocument Load(string path) => new(path, File.ReadAllText(path).ReplaceLineEndings("\n"));

    /// <summary>The fenced blocks of one info string (<c>csharp</c>, <c>sh</c>), fences removed, indentation kept.</summary>
    public IReadOnlyList<string> CodeBlocks(string language)
    {
        var blocks = new List<string>();
        foreach (Match match in FencedBlock().Matches(Text))
        {
            if (match.Groups["lang"].Value == language)
            {
                // A block inside a list item is indented as a whole: remove the fence's own indentation.
                string indent = match.Groups["indent"].Value;
                IEnumerable<string> lines = match.Groups["body"].Value.TrimEnd('\n').Split('\n')
                    .Select(line => line.StartsWith(indent, StringComparison.Ordinal) ? line[indent.Length..] : line);
                blocks.Add(string.Join('\n', lines));
            }
        }

        return blocks;
    }

    /// <summary>Targets of inline links that point into the repository (no scheme, no pure anchor), anchors removed.</summary>
    public IEnumerable<string> RelativeLinkTargets() =>
        InlineLink().Matches(Text)
            .Select(m => m.Groups["target"].Value)
            .Where(t => !t.Contains("://", StringComparison.Ordinal) && !t.StartsWith('#') && !t.StartsWith("mailto:", StringComparison.Ordinal))
            .Select(t => t.Split('#')[0]);

    [GeneratedRegex(@"^(?<indent>[ \t]*)```(?<lang>[A-Za-z0-9_+-]*)[ \t]*\n(?<body>.*?)^[ \t]*```[ \t]*$", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedBlock();

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial Regex InlineLink();
}
