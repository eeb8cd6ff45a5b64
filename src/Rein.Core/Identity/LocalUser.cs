using System.Globalization;

namespace Rein.Identity;

/// <summary>The operating-system account running this process: the principal who owns the local store and answers approvals at it.</summary>
public static class LocalUser
{
    private static readonly Lazy<string> Resolved = new(Resolve);

    /// <summary>Gets the account's name: from the account database for the effective user id, never from <c>$USER</c> or <c>$LOGNAME</c>.</summary>
    /// <remarks>An account without an entry in the database (e.g. a container started with a bare uid) is named <c>uid-N</c>.</remarks>
    public static string Name => Resolved.Value;

    private static string Resolve()
    {
        // On Unix, Environment.UserName is getpwuid_r(geteuid()); anyone can set $USER, so it is not consulted.
        var name = Environment.UserName;
        if (name.Length > 0)
        {
            return name;
        }

        return EffectiveUserId() is { } uid ? $"uid-{uid.ToString(CultureInfo.InvariantCulture)}" : "unknown";
    }

    private static long? EffectiveUserId()
    {
        try
        {
            // "Uid:	real	effective	saved	filesystem"
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            var fields = line?.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            return fields is { Length: > 2 } && long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var uid) ? uid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
