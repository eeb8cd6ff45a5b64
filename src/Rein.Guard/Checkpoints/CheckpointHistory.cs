using Rein.Journal;

namespace Rein.Guard.Checkpoints;

/// <summary>The checkpoints a session journaled, and the ranges a rewind or a diff uses.</summary>
public sealed class CheckpointHistory
{
    private CheckpointHistory(IReadOnlyList<CheckpointTaken> checkpoints, IReadOnlyList<string> backups)
    {
        Checkpoints = checkpoints;
        Backups = backups;
    }

    /// <summary>Gets the checkpoints, in journal order.</summary>
    public IReadOnlyList<CheckpointTaken> Checkpoints { get; }

    /// <summary>Gets the backups taken by rewinds, in journal order.</summary>
    public IReadOnlyList<string> Backups { get; }

    /// <summary>Collects the checkpoints of a session.</summary>
    /// <param name="events">The session's events, in order.</param>
    /// <returns>The history.</returns>
    public static CheckpointHistory From(IEnumerable<SessionEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var checkpoints = new List<CheckpointTaken>();
        var backups = new List<string>();
        foreach (var e in events)
        {
            switch (e)
            {
                case CheckpointTaken taken:
                    checkpoints.Add(taken);
                    break;
                case WorkspaceRewound rewound:
                    backups.Add(rewound.Backup);
                    break;
                default:
                    break;
            }
        }

        return new CheckpointHistory(checkpoints, backups);
    }

    /// <summary>Gets the snapshot of the workspace just before the first change made at or after a step.</summary>
    /// <param name="step">The step; 1 for the whole session.</param>
    /// <returns>The first <c>before</c> checkpoint of that step or a later one, or <see langword="null"/> when nothing changed from then on.</returns>
    public CheckpointTaken? BeforeStep(int step) =>
        Checkpoints.FirstOrDefault(c => c.Phase == "before" && c.Step >= step);

    /// <summary>Gets the range of the whole session: its first <c>before</c> to its last <c>after</c> checkpoint.</summary>
    /// <returns>The commits, or <see langword="null"/> when the session has no checkpoints.</returns>
    public (string From, string To)? SessionRange() => Range(_ => true);

    /// <summary>Gets the range of one step: its first <c>before</c> to its last <c>after</c> checkpoint.</summary>
    /// <param name="step">The step.</param>
    /// <returns>The commits, or <see langword="null"/> when the step has no checkpoints.</returns>
    public (string From, string To)? StepRange(int step) => Range(c => c.Step == step);

    /// <summary>Finds a checkpoint or backup of this session by its commit or a unique prefix of it.</summary>
    /// <param name="commitPrefix">The commit or prefix.</param>
    /// <returns>The full commit, or <see langword="null"/> when the session has none that matches (or several do).</returns>
    public string? Find(string commitPrefix)
    {
        ArgumentNullException.ThrowIfNull(commitPrefix);
        var matches = Checkpoints.Select(c => c.Commit).Concat(Backups)
            .Where(c => c.StartsWith(commitPrefix, StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.Ordinal).ToList();
        return commitPrefix.Length >= 4 && matches.Count == 1 ? matches[0] : null;
    }

    private (string From, string To)? Range(Func<CheckpointTaken, bool> include)
    {
        var first = Checkpoints.FirstOrDefault(c => c.Phase == "before" && include(c));
        var last = Checkpoints.LastOrDefault(c => c.Phase == "after" && include(c));
        return first is null ? null : (first.Commit, last?.Commit ?? first.Commit);
    }
}
