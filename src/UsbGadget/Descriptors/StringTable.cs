using System.Collections;

namespace UsbGadget.Descriptors;

/// <summary>
/// The function's strings in one or more languages: for every USB language id (LANGID) a list of strings.
/// String index <c>i</c> (1-based, as used by iInterface) refers to element <c>i - 1</c> of every language's list,
/// so every language must have the same number of strings.
/// </summary>
/// <remarks>
/// Languages keep the order they were added in, which is the order written to FunctionFS.
/// Use with a collection initializer: <c>new StringTable { [LanguageIds.EnglishUnitedStates] = ["Bulk data"] }</c>.
/// </remarks>
public sealed class StringTable : IEnumerable<KeyValuePair<ushort, IReadOnlyList<string>>>
{
    private readonly List<KeyValuePair<ushort, IReadOnlyList<string>>> _languages = [];

    /// <summary>Gets or sets the strings of one language.</summary>
    /// <param name="languageId">USB LANGID, e.g. 0x0409 for English (United States).</param>
    /// <returns>The strings of that language.</returns>
    public IReadOnlyList<string> this[ushort languageId]
    {
        get
        {
            foreach (var pair in _languages)
            {
                if (pair.Key == languageId)
                {
                    return pair.Value;
                }
            }

            throw new KeyNotFoundException($"The string table has no language 0x{languageId:X4}.");
        }
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            for (int i = 0; i < _languages.Count; i++)
            {
                if (_languages[i].Key == languageId)
                {
                    _languages[i] = new(languageId, value);
                    return;
                }
            }

            _languages.Add(new(languageId, value));
        }
    }

    /// <summary>Number of languages.</summary>
    public int LanguageCount => _languages.Count;

    /// <summary>Language ids in the order they were added.</summary>
    public IEnumerable<ushort> LanguageIds => _languages.Select(static l => l.Key);

    /// <summary>Number of strings per language (of the first language; validation checks they all agree).</summary>
    public int StringCount => _languages.Count == 0 ? 0 : _languages[0].Value.Count;

    /// <summary>Creates a table with one language.</summary>
    /// <param name="languageId">USB LANGID.</param>
    /// <param name="strings">The strings; index 1 is the first.</param>
    /// <returns>The table.</returns>
    public static StringTable Single(ushort languageId, params IReadOnlyList<string> strings) =>
        new() { [languageId] = strings };

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<ushort, IReadOnlyList<string>>> GetEnumerator() => _languages.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A few USB language ids (LANGID, as in the USB "Language Identifiers" document).</summary>
public static class LanguageIds
{
    /// <summary>English (United States).</summary>
    public const ushort EnglishUnitedStates = 0x0409;

    /// <summary>English (United Kingdom).</summary>
    public const ushort EnglishUnitedKingdom = 0x0809;

    /// <summary>German (Standard).</summary>
    public const ushort German = 0x0407;

    /// <summary>French (Standard).</summary>
    public const ushort French = 0x040C;

    /// <summary>Spanish (Modern sort).</summary>
    public const ushort Spanish = 0x0C0A;

    /// <summary>Japanese.</summary>
    public const ushort Japanese = 0x0411;

    /// <summary>Chinese (PRC, simplified).</summary>
    public const ushort ChineseSimplified = 0x0804;
}
