namespace Rein.Tools;

/// <summary>
/// The session's policy as file tools see it: whether a file, named by its real path, may be read or written.
/// Tools ask it for every file they touch (each file a search visits, the real target behind a link), so a rule
/// cannot be sidestepped by another tool or another name for the same file.
/// </summary>
/// <remarks>Implementations must be thread-safe and must not ask a person: a tool cannot wait for an answer.</remarks>
public interface IFileAccess
{
    /// <summary>Judges reading a file.</summary>
    /// <param name="fullPath">The file's absolute, resolved path.</param>
    /// <returns>The verdict.</returns>
    FileAccessVerdict CheckRead(string fullPath);

    /// <summary>Judges writing a file.</summary>
    /// <param name="fullPath">The file's absolute, resolved path.</param>
    /// <returns>The verdict.</returns>
    FileAccessVerdict CheckWrite(string fullPath);
}

/// <summary>What the policy says about one file access.</summary>
/// <param name="Decision">Allowed, allowed only with a person's approval, or refused.</param>
/// <param name="Reason">Why, in the user's terms (names the rule or protected path that decided).</param>
public sealed record FileAccessVerdict(FileAccessDecision Decision, string Reason)
{
    /// <summary>Gets a verdict that allows the access.</summary>
    public static FileAccessVerdict Allowed { get; } = new(FileAccessDecision.Allow, "allowed");
}

/// <summary>The outcome of <see cref="IFileAccess"/>.</summary>
public enum FileAccessDecision
{
    /// <summary>The access is allowed.</summary>
    Allow,

    /// <summary>The access needs a person's approval, which a tool cannot ask for.</summary>
    Ask,

    /// <summary>The access is refused.</summary>
    Deny,
}
