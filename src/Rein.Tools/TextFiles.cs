using System.Text;

namespace Rein.Tools;

/// <summary>Shared rules for reading workspace files as text.</summary>
internal static class TextFiles
{
    /// <summary>How many leading bytes are inspected to decide whether a file is binary.</summary>
    public const int SniffBytes = 8192;

    public static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>A file is treated as binary when its first bytes contain a NUL, as git and ripgrep do.</summary>
    public static bool LooksBinary(ReadOnlySpan<byte> head) => head.Contains((byte)0);

    public static async ValueTask<bool> IsBinaryAsync(string path, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[SniffBytes];
            var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            return LooksBinary(buffer.AsSpan(0, read));
        }
    }

    public static string Plural(long count, string singular, string plural) => count == 1 ? $"1 {singular}" : $"{count} {plural}";
}
