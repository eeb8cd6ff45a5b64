namespace Rein.Memory;

/// <summary>Whose a memory is: it is recalled only in sessions of the same user, agent profile or project.</summary>
public enum MemoryScope
{
    /// <summary>The user's own (<c>user</c>): recalled in all of the user's sessions; the key is the user principal.</summary>
    User,

    /// <summary>An agent profile's (<c>agent</c>): recalled in sessions of that profile; the key is the profile name.</summary>
    Agent,

    /// <summary>A project's (<c>project</c>): recalled in sessions in that workspace; the key is the workspace path.</summary>
    Project,
}

/// <summary>What a memory is.</summary>
public enum MemoryKind
{
    /// <summary>Something learned (<c>fact</c>): recalled when relevant to the task.</summary>
    Fact,

    /// <summary>How the user wants things done (<c>preference</c>): always in context.</summary>
    Preference,
}

/// <summary>Where a memory came from.</summary>
/// <param name="Source">What wrote it: <c>tool</c> (the agent's <c>remember</c> tool) or <c>cli</c> (<c>rein memory add</c>).</param>
/// <param name="SessionId">The session it was written in, if any.</param>
/// <param name="Step">The step of that session, if known.</param>
public sealed record MemoryProvenance(string Source, string? SessionId = null, int? Step = null)
{
    /// <summary>The <see cref="Source"/> of memories written by the agent's tools.</summary>
    public const string ToolSource = "tool";

    /// <summary>The <see cref="Source"/> of memories written with the <c>rein memory</c> command.</summary>
    public const string CliSource = "cli";
}

/// <summary>One scope and its key, e.g. the project <c>/home/me/app</c>.</summary>
/// <param name="Scope">The scope.</param>
/// <param name="Key">The user principal, agent profile name or workspace path.</param>
public sealed record MemoryScopeKey(MemoryScope Scope, string Key);

/// <summary>A stored memory.</summary>
/// <param name="Id">The short, stable identifier, e.g. <c>m_7k2q9d3xa1</c>.</param>
/// <param name="Scope">Whose it is.</param>
/// <param name="ScopeKey">The user principal, agent profile name or workspace path.</param>
/// <param name="Kind">A fact or a preference.</param>
/// <param name="Text">What to remember.</param>
/// <param name="Tags">Lower-case labels, searched along with the text.</param>
/// <param name="CreatedAt">When it was first stored.</param>
/// <param name="UpdatedAt">When it was last stored again or edited.</param>
/// <param name="Provenance">Where it came from (when it was first stored).</param>
public sealed record MemoryEntry(
    string Id,
    MemoryScope Scope,
    string ScopeKey,
    MemoryKind Kind,
    string Text,
    IReadOnlyList<string> Tags,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    MemoryProvenance Provenance);

/// <summary>A memory to store.</summary>
/// <param name="Scope">Whose it is.</param>
/// <param name="ScopeKey">The user principal, agent profile name or workspace path.</param>
/// <param name="Kind">A fact or a preference.</param>
/// <param name="Text">What to remember (at most <see cref="MemoryStore.MaxTextLength"/> characters).</param>
/// <param name="Provenance">Where it comes from.</param>
public sealed record MemoryDraft(MemoryScope Scope, string ScopeKey, MemoryKind Kind, string Text, MemoryProvenance Provenance)
{
    /// <summary>Gets labels to search along with the text.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
}

/// <summary>The outcome of <see cref="MemoryStore.AddAsync"/>.</summary>
/// <param name="Entry">The stored memory.</param>
/// <param name="Created">Whether it is new; false when the same text was already stored in the scope and was updated instead.</param>
public sealed record MemorySaved(MemoryEntry Entry, bool Created);

/// <summary>A search hit.</summary>
/// <param name="Entry">The memory.</param>
/// <param name="Rank">The FTS5 BM25 rank: lower is more relevant (SQLite's <c>bm25()</c> is negative for matches).</param>
public sealed record MemoryMatch(MemoryEntry Entry, double Rank);

/// <summary>The scopes a session sees: this user's, this agent profile's and this project's memories.</summary>
/// <param name="User">The user principal.</param>
/// <param name="Agent">The agent profile name, or null when the session runs without one (then there is no agent scope).</param>
/// <param name="Project">The workspace path.</param>
public sealed record MemoryVisibility(string User, string? Agent, string Project)
{
    /// <summary>Gets the visible scopes with their keys.</summary>
    public IReadOnlyList<MemoryScopeKey> Scopes =>
        Agent is { Length: > 0 } agent
            ? [new(MemoryScope.User, User), new(MemoryScope.Agent, agent), new(MemoryScope.Project, Project)]
            : [new(MemoryScope.User, User), new(MemoryScope.Project, Project)];

    /// <summary>Gets the key of a scope for this session.</summary>
    /// <param name="scope">The scope.</param>
    /// <returns>The key, or null for <see cref="MemoryScope.Agent"/> without an agent profile.</returns>
    public string? KeyOf(MemoryScope scope) => scope switch
    {
        MemoryScope.User => User,
        MemoryScope.Agent => Agent is { Length: > 0 } agent ? agent : null,
        MemoryScope.Project => Project,
        _ => throw new ArgumentOutOfRangeException(nameof(scope), scope, "Unknown memory scope."),
    };

    /// <summary>Gets whether a memory belongs to one of the visible scopes.</summary>
    /// <param name="entry">The memory.</param>
    /// <returns>Whether this session sees it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="entry"/> is null.</exception>
    public bool Sees(MemoryEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return KeyOf(entry.Scope) is { } key && string.Equals(key, entry.ScopeKey, StringComparison.Ordinal);
    }
}

/// <summary>The stable lower-case names of <see cref="MemoryScope"/> and <see cref="MemoryKind"/> values.</summary>
public static class MemoryNames
{
    /// <summary>Gets the name of a scope: <c>user</c>, <c>agent</c> or <c>project</c>.</summary>
    /// <param name="scope">The scope.</param>
    /// <returns>The name.</returns>
    public static string Of(MemoryScope scope) => scope switch
    {
        MemoryScope.User => "user",
        MemoryScope.Agent => "agent",
        MemoryScope.Project => "project",
        _ => throw new ArgumentOutOfRangeException(nameof(scope), scope, "Unknown memory scope."),
    };

    /// <summary>Gets the name of a kind: <c>fact</c> or <c>preference</c>.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>The name.</returns>
    public static string Of(MemoryKind kind) => kind switch
    {
        MemoryKind.Fact => "fact",
        MemoryKind.Preference => "preference",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown memory kind."),
    };

    /// <summary>Parses a scope name.</summary>
    /// <param name="text">The name (case-insensitive).</param>
    /// <param name="scope">The scope.</param>
    /// <returns>Whether the name is known.</returns>
    public static bool TryParseScope(string? text, out MemoryScope scope)
    {
        scope = text?.Trim().ToUpperInvariant() switch
        {
            "USER" => MemoryScope.User,
            "AGENT" => MemoryScope.Agent,
            "PROJECT" => MemoryScope.Project,
            _ => (MemoryScope)(-1),
        };
        return Enum.IsDefined(scope);
    }

    /// <summary>Parses a kind name.</summary>
    /// <param name="text">The name (case-insensitive).</param>
    /// <param name="kind">The kind.</param>
    /// <returns>Whether the name is known.</returns>
    public static bool TryParseKind(string? text, out MemoryKind kind)
    {
        kind = text?.Trim().ToUpperInvariant() switch
        {
            "FACT" => MemoryKind.Fact,
            "PREFERENCE" => MemoryKind.Preference,
            _ => (MemoryKind)(-1),
        };
        return Enum.IsDefined(kind);
    }
}
