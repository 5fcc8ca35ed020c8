namespace UsbGadget.FunctionFs;

/// <summary>What a control request handler decided.</summary>
public enum ControlResponseKind
{
    /// <summary>Refuse the request: ep0 is halted and the host sees a STALL.</summary>
    Stall,
    /// <summary>Accept the request without data (status stage only, or a zero-length IN data stage).</summary>
    Ack,
    /// <summary>Answer an IN request with data, truncated to <c>wLength</c>.</summary>
    Data,
}

/// <summary>
/// The answer to a control request: <see cref="Stall"/>, <see cref="Ack"/> or <see cref="Data(ReadOnlyMemory{byte})"/>.
/// </summary>
public readonly struct ControlResponse : IEquatable<ControlResponse>
{
    private ControlResponse(ControlResponseKind kind, ReadOnlyMemory<byte> payload)
    {
        Kind = kind;
        Payload = payload;
    }

    /// <summary>The decision.</summary>
    public ControlResponseKind Kind { get; }

    /// <summary>The data to send for <see cref="ControlResponseKind.Data"/>; empty otherwise.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>Refuse the request (protocol STALL). The default for anything a function does not handle.</summary>
    public static ControlResponse Stall => default;

    /// <summary>Accept the request with no data.</summary>
    public static ControlResponse Ack => new(ControlResponseKind.Ack, ReadOnlyMemory<byte>.Empty);

    /// <summary>Answer an IN request with <paramref name="payload"/>; anything beyond <c>wLength</c> is not sent.</summary>
    public static ControlResponse Data(ReadOnlyMemory<byte> payload) => new(ControlResponseKind.Data, payload);

    /// <inheritdoc/>
    public bool Equals(ControlResponse other) => Kind == other.Kind && Payload.Span.SequenceEqual(other.Payload.Span);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ControlResponse other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, Payload.Length);

    /// <summary>Compares kind and payload bytes.</summary>
    public static bool operator ==(ControlResponse left, ControlResponse right) => left.Equals(right);

    /// <summary>Compares kind and payload bytes.</summary>
    public static bool operator !=(ControlResponse left, ControlResponse right) => !left.Equals(right);

    /// <inheritdoc/>
    public override string ToString() => Kind == ControlResponseKind.Data ? $"Data({Payload.Length} bytes)" : Kind.ToString();
}
