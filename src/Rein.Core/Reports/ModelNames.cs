namespace Rein.Reports;

/// <summary>Names the model of a model call the way sessions are listed: <c>provider:model</c>, e.g. <c>openai:gpt-5.5</c>.</summary>
internal static class ModelNames
{
    /// <summary>
    /// The model as the session named it (<paramref name="spec"/>) when the provider answered with that model, else the
    /// reported id under the session's provider.
    /// </summary>
    /// <param name="spec">The session's model, as given to <c>--model</c> (<see cref="Journal.SessionStarted.Model"/>).</param>
    /// <param name="reported">The model id the provider reported for the call, if any.</param>
    public static string Of(string spec, string? reported)
    {
        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        if (string.IsNullOrEmpty(reported) || colon < 0)
        {
            return string.IsNullOrEmpty(reported) ? spec : reported;
        }

        var provider = spec[..colon];
        var name = spec[(colon + 1)..];
        var id = reported.StartsWith(provider + ":", StringComparison.Ordinal) ? reported[(colon + 1)..] : reported;
        // Providers answer with the model asked for, often as a dated snapshot (gpt-5.5 as gpt-5.5-2025-08-07); a scripted
        // model reports its file's name without the folder.
        var same = id == name || id.StartsWith(name + "-", StringComparison.Ordinal) || name.EndsWith("/" + id, StringComparison.Ordinal);
        return same ? spec : $"{provider}:{id}";
    }
}
