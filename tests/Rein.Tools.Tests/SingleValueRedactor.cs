namespace Rein.Tools.Tests;

/// <summary>Redacts one value, as it appears, for tests of tools that cut their output around redacted values.</summary>
internal sealed class SingleValueRedactor(string value) : IOutputRedactor
{
    public int MaxMatchLength => value.Length;

    public string Redact(string text) => text.Replace(value, "[REDACTED]", StringComparison.Ordinal);

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
