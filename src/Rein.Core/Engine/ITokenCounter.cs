namespace Rein.Engine;

/// <summary>Counts the tokens a model's tokenizer makes of a text, or estimates them.</summary>
/// <remarks>Implementations are thread-safe.</remarks>
public interface ITokenCounter
{
    /// <summary>Gets the name of the encoding counted with (<c>o200k_base</c>, <c>cl100k_base</c>, or <c>estimate</c>).</summary>
    string Encoding { get; }

    /// <summary>Counts the tokens of a text.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The number of tokens.</returns>
    int CountTokens(string text);
}
