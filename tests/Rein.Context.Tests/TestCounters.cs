using Rein.Engine;

namespace Rein.Context.Tests;

/// <summary>A deterministic counter for tests: about four characters a token.</summary>
internal sealed class QuarterCounter : ITokenCounter
{
    public string Encoding => "test";

    public int CountTokens(string text) => (text.Length + 3) / 4;
}
