using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Rein.Context.Compaction;

/// <summary>Asks the model for a structured summary of the turns compaction replaces.</summary>
/// <param name="client">The model.</param>
/// <param name="modelId">The model identifier to pass, if any.</param>
/// <param name="logger">Where a failed summary call is reported; <see langword="null"/> for nowhere.</param>
public sealed partial class Compactor(IChatClient client, string? modelId = null, ILogger? logger = null)
{
    private const string Instructions = """
        You are compacting the history of a coding agent's session so it can continue without it.
        Write a faithful, specific summary with exactly these sections:
        ## Goal
        ## Decisions made
        ## Files changed (path: what changed and why)
        ## Commands that build and test (exact command lines that worked)
        ## Open todos
        ## Unresolved errors (exact messages)
        Use paths, names, commands and error text as they appear. No preamble. The user's requests, the todo
        list and the list of modified files are carried over separately, word for word.
        """;

    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <summary>Summarises a transcript of the replaced turns.</summary>
    /// <returns>The summary, or <see langword="null"/> when the model could not be asked (the caller falls back to a summary without it).</returns>
    public async Task<string?> SummarizeAsync(string transcript, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transcript);
        try
        {
            var response = await client.GetResponseAsync(
                [new ChatMessage(ChatRole.System, Instructions), new ChatMessage(ChatRole.User, transcript)],
                new ChatOptions { ModelId = modelId, MaxOutputTokens = 2_000 },
                cancellationToken).ConfigureAwait(false);
            var text = response.Text;
            return string.IsNullOrWhiteSpace(text) ? null : text;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.SummaryFailed(_logger, ex);
            return null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "The compaction summary call failed; using a summary without the model")]
        public static partial void SummaryFailed(ILogger logger, Exception exception);
    }
}
