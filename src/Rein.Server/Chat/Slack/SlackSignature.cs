using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Rein.Server.Chat.Slack;

/// <summary>
/// Checks that a request came from Slack: <c>X-Slack-Signature</c> is <c>v0=</c> and the hex HMAC-SHA256 of
/// <c>v0:TIMESTAMP:BODY</c> keyed with the app's signing secret, and <c>X-Slack-Request-Timestamp</c> is recent.
/// </summary>
internal static class SlackSignature
{
    private const string Version = "v0";

    /// <summary>Whether the request is Slack's, and recent; <paramref name="why"/> says what is wrong otherwise (never the expected signature).</summary>
    /// <param name="signingSecret">The app's signing secret.</param>
    /// <param name="timestamp">The <c>X-Slack-Request-Timestamp</c> header (Unix seconds).</param>
    /// <param name="signature">The <c>X-Slack-Signature</c> header.</param>
    /// <param name="body">The raw request body, as received.</param>
    /// <param name="now">The time now.</param>
    /// <param name="maxAge">How far the timestamp may be from now, either way.</param>
    /// <param name="why">Why it was refused.</param>
    public static bool Verify(string signingSecret, string? timestamp, string? signature, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan maxAge, out string why)
    {
        if (string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature))
        {
            why = "The request is not signed (X-Slack-Request-Timestamp and X-Slack-Signature are required).";
            return false;
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            why = "X-Slack-Request-Timestamp is not a Unix time.";
            return false;
        }

        // A stale request may be a replay of one captured earlier; one from the future is as suspect.
        if ((now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > maxAge)
        {
            why = $"The request's timestamp is more than {maxAge.TotalMinutes.ToString(CultureInfo.InvariantCulture)} minutes from now.";
            return false;
        }

        var expected = Compute(signingSecret, timestamp, body);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)))
        {
            why = "The request's signature does not match.";
            return false;
        }

        why = "";
        return true;
    }

    /// <summary>The signature of a body: <c>v0=</c> and lowercase hex.</summary>
    public static string Compute(string signingSecret, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{Version}:{timestamp}:");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return $"{Version}={Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(signingSecret), message))}";
    }
}
