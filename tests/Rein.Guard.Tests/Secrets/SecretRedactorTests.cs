using System.Text;
using System.Text.Json;
using Rein.Guard.Secrets;

namespace Rein.Guard.Tests.Secrets;

public sealed class SecretRedactorTests
{
    private const string Token = "s3cr3t/V@lue+with space&more";
    private static readonly SecretRedactor Redactor = new([new("API_TOKEN", Token)]);
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Fact]
    public void Redact_RawValue_ReplacedWithMarker()
    {
        var result = Redactor.Redact($"token is {Token}, again {Token}.");

        Assert.Equal("token is [REDACTED:API_TOKEN], again [REDACTED:API_TOKEN].", result);
    }

    [Fact]
    public void Redact_NoSecret_ReturnsSameInstance()
    {
        var text = "nothing to see here";

        Assert.Same(text, Redactor.Redact(text));
        Assert.False(Redactor.ContainsSecret(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("x")]
    [InlineData("ab")]
    [InlineData("user:")]
    [InlineData("Authorization: Basic ")]
    public void Redact_Base64AtEveryAlignment_NoLongRunOfTheEncodingSurvives(string prefix)
    {
        var bytes = Encoding.UTF8.GetBytes(prefix + Token + "\n");
        foreach (var encoded in new[] { Convert.ToBase64String(bytes), Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_').TrimEnd('=') })
        {
            var result = Redactor.Redact($"out: {encoded} end");

            Assert.Contains("[REDACTED:API_TOKEN]", result, StringComparison.Ordinal);
            Assert.DoesNotContain(Token, DecodeAll(result), StringComparison.Ordinal);

            // Only the characters that mix the value's bits with its neighbours' may remain: at most 2 on each side.
            var core = Convert.ToBase64String(Encoding.UTF8.GetBytes(Token))[2..^4];
            Assert.DoesNotContain(core[..8], result, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Redact_Base64Forms_PaddedUnpaddedStandardAndUrlSafe()
    {
        var standard = Convert.ToBase64String(Encoding.UTF8.GetBytes(Token));
        var urlSafe = standard.Replace('+', '-').Replace('/', '_');
        foreach (var form in new[] { standard, standard.TrimEnd('='), urlSafe, urlSafe.TrimEnd('=') })
        {
            Assert.Equal("<[REDACTED:API_TOKEN]>", Redactor.Redact($"<{form}>"));
        }
    }

    [Theory]
    [InlineData("s3cr3t%2FV%40lue%2Bwith%20space%26more")] // Uri.EscapeDataString, curl
    [InlineData("s3cr3t%2fV%40lue%2bwith%20space%26more")] // lower-case hex
    [InlineData("s3cr3t%2FV%40lue%2Bwith+space%26more")] // form encoding
    [InlineData("s3cr3t%2fv%40lue%2bwith+space%26more")] // one letter changed: not the secret, left alone
    [InlineData("s3cr3t/V%40lue%2Bwith%20space%26more")] // Python's quote keeps '/'
    public void Redact_UrlEncodedForms_Redacted(string encoded)
    {
        var result = Redactor.Redact($"https://example.test/?t={encoded}&x=1");

        var isSecret = Uri.UnescapeDataString(encoded.Replace('+', ' ')) == Token;
        Assert.Equal(isSecret, result == "https://example.test/?t=[REDACTED:API_TOKEN]&x=1");
    }

    [Fact]
    public void Redact_UriEscapeDataString_Redacted()
    {
        Assert.Equal("[REDACTED:API_TOKEN]", Redactor.Redact(Uri.EscapeDataString(Token)));
        Assert.Equal("[REDACTED:API_TOKEN]", Redactor.Redact(System.Net.WebUtility.UrlEncode(Token)));
    }

    [Fact]
    public void Redact_JsonEscapedForms_Redacted()
    {
        var redactor = new SecretRedactor([new("PASSWORD", "pa\"ss\\wörd<>")]);
        var relaxed = JsonSerializer.Serialize(new { password = "pa\"ss\\wörd<>" }, Relaxed);
        var strict = JsonSerializer.Serialize(new { password = "pa\"ss\\wörd<>" });

        Assert.Equal("{\"password\":\"[REDACTED:PASSWORD]\"}", redactor.Redact(relaxed));
        Assert.Equal("{\"password\":\"[REDACTED:PASSWORD]\"}", redactor.Redact(strict));
    }

    [Fact]
    public void Redact_ShortValues_NotRedacted()
    {
        var redactor = new SecretRedactor([new("PIN", "12345"), new("LONG_ENOUGH", "123456")]);

        Assert.Equal("pin 12345 and [REDACTED:LONG_ENOUGH]", redactor.Redact("pin 12345 and 123456"));
        Assert.Equal(1, redactor.SecretCount);
        Assert.True(new SecretRedactor([new("PIN", "12345")]).IsEmpty);
    }

    [Fact]
    public void Redact_MultipleSecrets_EachNamed()
    {
        var redactor = new SecretRedactor([new("GITHUB_TOKEN", "ghp_abcdefghij"), new("DB_PASSWORD", "correct-horse")]);

        var result = redactor.Redact("gh=ghp_abcdefghij db=correct-horse gh64=" + Convert.ToBase64String("ghp_abcdefghij"u8));

        Assert.Equal("gh=[REDACTED:GITHUB_TOKEN] db=[REDACTED:DB_PASSWORD] gh64=[REDACTED:GITHUB_TOKEN]", result);
    }

    [Fact]
    public void Redact_NestedSecrets_LongestWins()
    {
        var redactor = new SecretRedactor([new("SHORT", "password1"), new("LONG", "password1234")]);

        Assert.Equal("[REDACTED:LONG] [REDACTED:SHORT]", redactor.Redact("password1234 password1"));
    }

    [Fact]
    public void Redact_OverlappingSecrets_UnionRedactedWithBothNames()
    {
        var redactor = new SecretRedactor([new("A", "abcdef123"), new("B", "123xyz789")]);

        var result = redactor.Redact("<abcdef123xyz789>");

        Assert.Equal("<[REDACTED:A,B]>", result);
    }

    [Fact]
    public void Redact_SameValueUnderTwoNames_LabelledWithFirstName()
    {
        var redactor = new SecretRedactor([new("ZED", "shared-value"), new("ALPHA", "shared-value")]);

        Assert.Equal("[REDACTED:ALPHA]", redactor.Redact("shared-value"));
    }

    [Fact]
    public void Redact_ConcurrentCalls_AllCorrect()
    {
        var inputs = Enumerable.Range(0, 200).Select(i => $"{i} {Token} {i}").ToArray();

        var results = inputs.AsParallel().Select(Redactor.Redact).ToArray();

        Assert.All(results.Select((r, i) => (r, i)), x => Assert.Equal($"{x.i} [REDACTED:API_TOKEN] {x.i}", x.r));
    }

    [Fact]
    public void Create_FromResolver_UsesEveryStoredSecret()
    {
        var redactor = SecretRedactor.Create(new DictionaryResolver(new() { ["ONE"] = "first-secret", ["TWO"] = "second-secret" }));

        Assert.Equal("[REDACTED:ONE] [REDACTED:TWO]", redactor.Redact("first-secret second-secret"));
        Func<string, string> redact = redactor.Redact;
        Assert.Equal("[REDACTED:ONE]", redact("first-secret"));
    }

    private static string DecodeAll(string text)
    {
        var decoded = new StringBuilder(text);
        foreach (var word in text.Split([' ', '<', '>', '[', ']'], StringSplitOptions.RemoveEmptyEntries))
        {
            try
            {
                decoded.Append(' ').Append(Encoding.UTF8.GetString(Convert.FromBase64String(word.Replace('-', '+').Replace('_', '/').PadRight((word.Length + 3) / 4 * 4, '='))));
            }
            catch (FormatException)
            {
            }
        }

        return decoded.ToString();
    }
}

internal sealed class DictionaryResolver(Dictionary<string, string> secrets) : Rein.Tools.ISecretResolver
{
    public IReadOnlyCollection<string> SecretNames => [.. secrets.Keys.Order(StringComparer.Ordinal)];

    public bool TryGetSecret(string name, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out string value) => secrets.TryGetValue(name, out value);
}
