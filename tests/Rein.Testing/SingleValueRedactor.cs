using Rein.Tools;

namespace Rein.Testing;

/// <summary>Redacts one value, as it appears, for tests of tools that cut their output around redacted values.</summary>
public sealed class SingleValueRedactor(string value) : IOutputRedactor
{
    /// <inheritdoc />
    public int MaxMatchLength => value.Length;

    /// <inheritdoc />
    public string Redact(string text) => text.Replace(value, "[REDACTED]", StringComparison.Ordinal);

    /// <inheritdoc />
    public Range? SpanAcross(string text, int index)
    {
        for (var start = text.IndexOf(value, Math.Max(0, index - value.Length + 1), StringComparison.Ordinal); start >= 0 && start < index; start = text.IndexOf(value, start + 1, StringComparison.Ordinal))
        {
            if (start + value.Length > index)
            {
                return start..(start + value.Length);
            }
        }

        return null;
    }
}
