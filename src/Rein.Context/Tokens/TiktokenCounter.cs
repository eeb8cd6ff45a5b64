using Microsoft.ML.Tokenizers;
using Rein.Engine;

namespace Rein.Context.Tokens;

/// <summary>Counts with an OpenAI tiktoken encoding, loaded on first use.</summary>
/// <remarks>Thread-safe; the encoding is loaded once, by whichever thread needs it first.</remarks>
internal sealed class TiktokenCounter : ITokenCounter
{
    private readonly Lazy<Tokenizer> _tokenizer;
    private readonly TokenCountCache _cache = new();
    private readonly Func<string, int> _count;

    public TiktokenCounter(string encoding)
    {
        Encoding = encoding;
        _tokenizer = new(() => TiktokenTokenizer.CreateForEncoding(encoding), LazyThreadSafetyMode.ExecutionAndPublication);
        _count = text => _tokenizer.Value.CountTokens(text);
    }

    public string Encoding { get; }

    /// <summary>Gets whether the encoding's data is loaded.</summary>
    public bool IsLoaded => _tokenizer.IsValueCreated;

    public int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length == 0 ? 0 : _cache.GetOrCount(text, _count);
    }

    /// <summary>Loads the encoding now, if it is not loaded yet.</summary>
    public void Load() => _ = _tokenizer.Value;
}
