using UsbGadget.Descriptors;

namespace UsbGadget.Tests.Descriptors;

/// <summary>The FUNCTIONFS_STRINGS_MAGIC blob against the layout documented in functionfs.h.</summary>
public class StringsBlobTests
{
    private static string StringsHex(StringTable strings) =>
        Hex.Of(FunctionFsDescriptors.Create(new FunctionDescription
        {
            Interfaces = [new InterfaceDescription { Number = 0 }],
            Strings = strings,
        }).StringsBlob.Span);

    [Fact]
    public void TwoLanguages_AreWrittenAsLangIdFollowedByNulTerminatedUtf8()
    {
        var strings = new StringTable
        {
            [LanguageIds.EnglishUnitedStates] = ["Bulk", "Loop"],
            [LanguageIds.German] = ["Größe", "Schleife"],
        };

        string expected = Hex.Join(
            "02000000", // magic: FUNCTIONFS_STRINGS_MAGIC
            "2f000000", // length: 16 + (2 + 5 + 5) + (2 + 8 + 9) = 47
            "02000000", // str_count
            "02000000", // lang_count
            "0904", "42756c6b00", "4c6f6f7000",
            "0704", "4772c3b6c39f6500", "5363686c6569666500");

        Assert.Equal(expected, StringsHex(strings));
    }

    [Fact]
    public void NoStrings_WritesZeroCountsAndNoLanguages()
    {
        Assert.Equal(Hex.Join("02000000 10000000 00000000 00000000"), StringsHex(new StringTable()));
    }

    [Fact]
    public void LanguagesWithoutStrings_WriteZeroLanguages_BecauseFunctionFsNeedsBothCountsZeroOrBothSet()
    {
        var strings = new StringTable { [LanguageIds.EnglishUnitedStates] = [] };

        Assert.Equal(Hex.Join("02000000 10000000 00000000 00000000"), StringsHex(strings));
    }

    [Fact]
    public void EmptyString_IsJustItsTerminator()
    {
        var strings = StringTable.Single(LanguageIds.EnglishUnitedStates, "", "A");

        Assert.Equal(Hex.Join("02000000 15000000 02000000 01000000", "0904", "00", "4100"), StringsHex(strings));
    }

    [Fact]
    public void Languages_KeepTheOrderTheyWereAddedIn()
    {
        var strings = new StringTable
        {
            [LanguageIds.German] = ["x"],
            [LanguageIds.EnglishUnitedStates] = ["y"],
        };

        Assert.Equal([LanguageIds.German, LanguageIds.EnglishUnitedStates], strings.LanguageIds);
        Assert.EndsWith(Hex.Join("0704 7800 0904 7900"), StringsHex(strings), StringComparison.Ordinal);
    }
}
