using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Rein.Server.WebConsole;

/// <summary>One file of the web console, read once from the assembly's embedded resources.</summary>
/// <param name="Path">The path under wwwroot, e.g. <c>assets/app.js</c>.</param>
/// <param name="Content">The file's bytes.</param>
/// <param name="ContentType">The <c>Content-Type</c> it is served with.</param>
/// <param name="ETag">A strong entity tag derived from the content.</param>
internal sealed record ConsoleAsset(string Path, ReadOnlyMemory<byte> Content, string ContentType, string ETag);

/// <summary>The web console's files, embedded in Rein.Server under the logical names <c>console/PATH</c>.</summary>
/// <remarks>
/// Only files that were embedded at build time can be served: a request path is a dictionary key, never a file
/// system path, so <c>..</c> or encoded separators cannot reach anything else. Thread-safe (immutable).
/// </remarks>
internal static class ConsoleAssets
{
    private const string Prefix = "console/";

    /// <summary>The page every console route answers with.</summary>
    public const string IndexPath = "index.html";

    private static readonly Lazy<FrozenDictionary<string, ConsoleAsset>> Files = new(Load);

    /// <summary>Every embedded file by its path under wwwroot.</summary>
    public static FrozenDictionary<string, ConsoleAsset> All => Files.Value;

    /// <summary>The console's index.html.</summary>
    public static ConsoleAsset Index => All[IndexPath];

    private static FrozenDictionary<string, ConsoleAsset> Load()
    {
        var assembly = typeof(ServerAssembly).Assembly;
        var files = new Dictionary<string, ConsoleAsset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var path = name[Prefix.Length..];
            var tag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 12)) + "\"";
            files[path] = new ConsoleAsset(path, content, ContentTypeOf(path), tag);
        }

        if (!files.ContainsKey(IndexPath))
        {
            throw new InvalidOperationException("The web console's index.html is not embedded in Rein.Server; the build is incomplete.");
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentTypeOf(string path) => System.IO.Path.GetExtension(path) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".json" => "application/json; charset=utf-8",
        _ => "application/octet-stream",
    };
}
