namespace Rein.Engine;

/// <summary>
/// Thrown by an offline model (scripted or replay) that has no more responses. The loop ends the
/// session with <see cref="Reason"/> instead of treating it as a provider failure.
/// </summary>
/// <param name="reason">A stable snake_case stop reason, e.g. <c>script_exhausted</c>.</param>
/// <param name="message">A human-readable explanation.</param>
public sealed class ModelExhaustedException(string reason, string message) : InvalidOperationException(message)
{
    /// <summary>Gets the stop reason.</summary>
    public string Reason { get; } = reason;
}
