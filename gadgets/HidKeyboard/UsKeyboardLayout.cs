namespace HidKeyboard;

/// <summary>Maps characters to HID keyboard usages (HID Usage Tables, page 0x07) for a US layout.</summary>
internal static class UsKeyboardLayout
{
    public const byte LeftShift = 0x02;
    public const byte Enter = 0x28;

    private const string Unshifted = "1234567890-=[]\\;'`,./";
    private const string Shifted = "!@#$%^&*()_+{}|:\"~<>?";
    private static ReadOnlySpan<byte> PunctuationUsages =>
    [
        0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, // 1..9, 0
        0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, // - = [ ] \ ; ' ` , . /
    ];

    /// <summary>The usage and modifier byte that type <paramref name="c"/>, or false for a character the layout lacks.</summary>
    public static bool TryMap(char c, out byte usage, out byte modifiers)
    {
        modifiers = 0;
        usage = 0;
        switch (c)
        {
            case >= 'a' and <= 'z':
                usage = (byte)(0x04 + (c - 'a'));
                return true;
            case >= 'A' and <= 'Z':
                usage = (byte)(0x04 + (c - 'A'));
                modifiers = LeftShift;
                return true;
            case ' ':
                usage = 0x2c;
                return true;
            case '\t':
                usage = 0x2b;
                return true;
            case '\n':
                usage = Enter;
                return true;
        }
        int index = Unshifted.IndexOf(c, StringComparison.Ordinal);
        if (index >= 0)
        {
            usage = PunctuationUsages[index];
            return true;
        }
        index = Shifted.IndexOf(c, StringComparison.Ordinal);
        if (index >= 0)
        {
            usage = PunctuationUsages[index];
            modifiers = LeftShift;
            return true;
        }
        return false;
    }
}
