using Microsoft.Extensions.AI;
using Rein.Journal;

namespace Rein.Memory;

/// <summary>Options of a <see cref="MemoryRecaller"/>.</summary>
public sealed class MemoryRecallOptions
{
    /// <summary>Gets or sets how many facts, best BM25 matches first, are recalled for a message. Default: 5.</summary>
    public int TopK { get; set; } = 5;

    /// <summary>Gets or sets the most preferences recalled (newest first). Default: 20.</summary>
    public int MaxPreferences { get; set; } = 20;

    /// <summary>Gets or sets the longest memory text put in the block, in characters; longer ones are cut with "…". Default: 400.</summary>
    public int MaxMemoryLength { get; set; } = 400;

    /// <summary>Gets or sets the most characters of memory text in one block; memories past it are left out (preferences go first). Default: 3000.</summary>
    public int MaxBlockLength { get; set; } = 3000;

    /// <summary>
    /// Gets or sets the term overlap below which a message shifts the task (see <see cref="MemoryRecaller.TermOverlap"/>).
    /// Default: 0.25, i.e. fewer than a quarter of the message's terms were used before.
    /// </summary>
    public double ShiftThreshold { get; set; } = 0.25;

    /// <summary>Gets or sets how many terms a message needs before it can shift the task; "yes, go on" never does. Default: 2.</summary>
    public int MinShiftTerms { get; set; } = 2;
}

/// <summary>
/// Chooses the memories to put in a session's context: at its start, and when a new message shifts the task.
/// </summary>
/// <remarks>
/// <para>
/// At the start of a session (no <see cref="MemoriesRecalled"/> in it yet) it recalls every preference and the
/// <see cref="MemoryRecallOptions.TopK"/> facts that best match the message. Later it recalls only when the message
/// shifts the task, and then only preferences and top matches not recalled before in the session.
/// </para>
/// <para>
/// Task shift: the message's terms (words of two or more letters or digits, lower-cased, without common English
/// words, compared without a final "s", "ed" or "ing" so "tests" and "testing" agree) are compared with the terms of the
/// session's earlier user messages. The overlap is the share of the message's distinct terms that occur earlier; the
/// task shifted when the message has at least <see cref="MemoryRecallOptions.MinShiftTerms"/> terms and the overlap is
/// below <see cref="MemoryRecallOptions.ShiftThreshold"/>.
/// </para>
/// <para>Thread-safe.</para>
/// </remarks>
public sealed class MemoryRecaller
{
    private readonly MemoryStore _store;
    private readonly MemoryVisibility _visibility;
    private readonly MemoryRecallOptions _options;

    /// <summary>Creates a recaller.</summary>
    /// <param name="store">The memory store.</param>
    /// <param name="visibility">The session's user, agent profile and project.</param>
    /// <param name="options">The options, or null for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="store"/> or <paramref name="visibility"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public MemoryRecaller(MemoryStore store, MemoryVisibility visibility, MemoryRecallOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(visibility);
        _store = store;
        _visibility = visibility;
        _options = options ?? new MemoryRecallOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.TopK, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxPreferences, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxMemoryLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxBlockLength, 1);
    }

    /// <summary>Chooses the memories to recall before the session is given a new user message.</summary>
    /// <param name="state">The session's state before the message.</param>
    /// <param name="userMessage">The new message.</param>
    /// <param name="cancellationToken">A token to cancel the call.</param>
    /// <returns>The event to journal before the message, or null when nothing should be recalled.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="Microsoft.Data.Sqlite.SqliteException">The memory database cannot be used.</exception>
    public async Task<MemoriesRecalled?> RecallAsync(SessionState state, string userMessage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(userMessage);
        var recalled = new HashSet<string>(StringComparer.Ordinal);
        var earlier = new List<string>();
        var anyRecall = false;
        foreach (var message in state.Messages)
        {
            if (message.RawRepresentation is MemoriesRecalled previous)
            {
                anyRecall = true;
                recalled.UnionWith(previous.Memories.Select(m => m.Id));
            }
            else if (message.Role == ChatRole.User)
            {
                earlier.Add(message.Text);
            }
        }

        string reason;
        if (!anyRecall)
        {
            reason = MemoryRecallReasons.SessionStart;
        }
        else if (IsTaskShift(userMessage, earlier))
        {
            reason = MemoryRecallReasons.TaskShift;
        }
        else
        {
            return null;
        }

        var scopes = _visibility.Scopes;
        var chosen = new List<MemoryEntry>();
        if (_options.MaxPreferences > 0)
        {
            var preferences = await _store.ListAsync(scopes, MemoryKind.Preference, cancellationToken).ConfigureAwait(false);
            chosen.AddRange(preferences.Where(p => !recalled.Contains(p.Id)).Take(_options.MaxPreferences));
        }

        if (_options.TopK > 0)
        {
            var matches = await _store.SearchAsync(userMessage, scopes, _options.TopK + recalled.Count, MemoryKind.Fact, cancellationToken).ConfigureAwait(false);
            chosen.AddRange(matches.Select(m => m.Entry).Where(e => !recalled.Contains(e.Id)).Take(_options.TopK));
        }

        var memories = new List<RecalledMemory>();
        var length = 0;
        foreach (var entry in chosen)
        {
            var text = entry.Text.Length > _options.MaxMemoryLength ? entry.Text[..(_options.MaxMemoryLength - 1)] + "…" : entry.Text;
            length += text.Length;
            if (length > _options.MaxBlockLength)
            {
                break;
            }

            memories.Add(new RecalledMemory(entry.Id, MemoryNames.Of(entry.Scope), MemoryNames.Of(entry.Kind), text));
        }

        return memories.Count == 0 ? null : new MemoriesRecalled(reason, memories);
    }

    /// <summary>
    /// Measures how much of a message was talked about before: the share of the message's distinct terms (compared
    /// without a final "s", "ed" or "ing") that occur in the earlier messages.
    /// </summary>
    /// <param name="message">The new message.</param>
    /// <param name="earlierMessages">The earlier user messages.</param>
    /// <returns>From 0 (all new) to 1 (all seen before); 1 for a message without terms.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static double TermOverlap(string message, IEnumerable<string> earlierMessages)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(earlierMessages);
        var terms = Stems(message);
        if (terms.Count == 0)
        {
            return 1;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var earlier in earlierMessages)
        {
            seen.UnionWith(Stems(earlier));
        }

        return (double)terms.Count(seen.Contains) / terms.Count;
    }

    private bool IsTaskShift(string message, IReadOnlyList<string> earlier) =>
        Stems(message).Count >= _options.MinShiftTerms && TermOverlap(message, earlier) < _options.ShiftThreshold;

    private static HashSet<string> Stems(string text) => new(MemoryText.Terms(text).Select(Stem), StringComparer.Ordinal);

    // A crude stemmer is enough here: it only decides whether a message talks about something new.
    private static string Stem(string term)
    {
        foreach (var suffix in (ReadOnlySpan<string>)["ing", "ed", "s"])
        {
            if (term.Length - suffix.Length >= 3 && term.EndsWith(suffix, StringComparison.Ordinal))
            {
                return term[..^suffix.Length];
            }
        }

        return term;
    }
}
