namespace UsbGadget.Cli;

/// <summary>How bad a finding is. Only <see cref="Fail"/> makes <c>doctor</c> exit non-zero.</summary>
internal enum Severity
{
    /// <summary>As it should be.</summary>
    Ok,

    /// <summary>Worth knowing; nothing stops a gadget.</summary>
    Note,

    /// <summary>Works now, but something will stand in the way in some cases (not root, a UDC another gadget holds).</summary>
    Warn,

    /// <summary>A gadget cannot be created or bound until this is fixed.</summary>
    Fail,
}

/// <summary>One line of <c>doctor</c>'s report, with the one-line fix when it is not <see cref="Severity.Ok"/>.</summary>
/// <param name="Severity">How bad it is.</param>
/// <param name="Topic">What was checked: board, kernel, module, configfs, udc, gadget…</param>
/// <param name="Text">What was found.</param>
/// <param name="Fix">The command or edit that fixes it, in one line; null for <see cref="Severity.Ok"/>.</param>
internal sealed record Finding(Severity Severity, string Topic, string Text, string? Fix = null)
{
    public static Finding Ok(string topic, string text) => new(Severity.Ok, topic, text);

    public static Finding Note(string topic, string text, string fix) => new(Severity.Note, topic, text, fix);

    public static Finding Warn(string topic, string text, string fix) => new(Severity.Warn, topic, text, fix);

    public static Finding Fail(string topic, string text, string fix) => new(Severity.Fail, topic, text, fix);

    public string Label => Severity switch
    {
        Severity.Ok => "ok",
        Severity.Note => "note",
        Severity.Warn => "warn",
        _ => "FAIL",
    };
}
