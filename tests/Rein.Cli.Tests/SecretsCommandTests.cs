using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Rein.Cli.Tests;

[Trait("Category", "e2e")]
public sealed class SecretsCommandTests : IDisposable
{
    private const string Value = "s3cr3t/V@lue+with space&more!";
    private readonly ReinProcess _rein = new();

    public void Dispose() => _rein.Dispose();

    private static string Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public async Task Secrets_SetListRunRemove_CommandGetsTheValueAndItIsStoredNowhere()
    {
        var set = await _rein.RunWithInputAsync(Value + "\n", "secrets", "set", "API_TOKEN");
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.DoesNotContain(Value, set.Stdout + set.Stderr, StringComparison.Ordinal);

        var list = await _rein.RunAsync("secrets", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        var listed = Assert.Single(list.JsonLines());
        Assert.Equal("API_TOKEN", listed.GetProperty("name").GetString());
        Assert.True(listed.GetProperty("updated_at").GetDateTimeOffset() > DateTimeOffset.UnixEpoch);
        Assert.DoesNotContain(Value, list.Stdout, StringComparison.Ordinal);
        var table = await _rein.RunAsync("secrets", "list");
        Assert.Contains("API_TOKEN", table.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Value, table.Stdout, StringComparison.Ordinal);

        // The command prints the value raw, in base64 (alone and behind 1 and 2 other bytes) and URL-encoded,
        // and writes its sha256 to a file so the test can tell it really received it.
        File.WriteAllText(Path.Combine(_rein.Workspace, "show.sh"), """
            printf %s "$API_TOKEN" | sha256sum | cut -d' ' -f1 > token.sha256
            echo "raw: $API_TOKEN"
            echo "b64: $(printf %s "$API_TOKEN" | base64 -w0)"
            echo "b64+1: $(printf 'u%s' "$API_TOKEN" | base64 -w0)"
            echo "basic: $(printf 'me:%s' "$API_TOKEN" | base64 -w0)"
            s="$API_TOKEN"; out=""
            while [ -n "$s" ]; do
              c="${s%"${s#?}"}"; s="${s#?}"
              case "$c" in [A-Za-z0-9._~-]) out="$out$c" ;; *) out="$out$(printf '%%%02X' "'$c")" ;; esac
            done
            echo "url: $out"
            """);
        var script = _rein.WriteFile("turns.json", """
            {"turns":[
              {"tool_calls":[{"name":"shell","arguments":{"command":"sh show.sh","secrets":["API_TOKEN"]}}]},
              {"tool_calls":[{"name":"shell","arguments":{"command":"echo \"[$API_TOKEN]\""}}]},
              {"text":"done"}]}
            """);

        var run = await _rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "--workspace", _rein.Workspace, "use the token");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(Hex(Value), File.ReadAllText(Path.Combine(_rein.Workspace, "token.sha256")).Trim());
        var observations = run.JsonLines().Where(l => l.GetProperty("type").GetString() == "tool_completed").Select(l => l.GetProperty("result").GetString()!).ToList();
        Assert.Equal(2, observations.Count);
        foreach (var label in new[] { "raw: ", "b64: ", "url: " })
        {
            Assert.Contains($"{label}[REDACTED:API_TOKEN]\n", observations[0], StringComparison.Ordinal);
        }

        Assert.Contains("b64+1: ", observations[0], StringComparison.Ordinal);
        Assert.Contains("basic: ", observations[0], StringComparison.Ordinal);
        Assert.Equal(5, CountOf(observations[0], "[REDACTED:API_TOKEN]"));
        Assert.StartsWith("[]\n", observations[1], StringComparison.Ordinal); // not requested: not in the environment
        var sessionId = run.JsonLines()[^1].GetProperty("session_id").GetString()!;

        var forms = Forms(Value);
        AssertNowhere(forms, run.Stdout + run.Stderr, "the run's output (the observations sent to the model)");
        var show = await _rein.RunAsync("sessions", "show", sessionId, "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("[REDACTED:API_TOKEN]", show.Stdout, StringComparison.Ordinal);
        AssertNowhere(forms, show.Stdout, "sessions show --json");
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(_rein.StorePath)!, "rein.db*"))
        {
            AssertNowhere(forms, Encoding.UTF8.GetString(File.ReadAllBytes(file)), file);
        }

        var rm = await _rein.RunAsync("secrets", "rm", "API_TOKEN");
        Assert.True(rm.ExitCode == 0, rm.ToString());
        var after = await _rein.RunAsync("secrets", "list", "--json");
        Assert.Empty(after.JsonLines());
        var again = await _rein.RunAsync("secrets", "rm", "API_TOKEN");
        Assert.Equal(5, again.ExitCode);
        Assert.Contains("no secret named API_TOKEN", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnknownSecret_ModelGetsErrorListingNames()
    {
        var set = await _rein.RunWithInputAsync("value-123456", "secrets", "set", "KNOWN_TOKEN");
        Assert.True(set.ExitCode == 0, set.ToString());
        var script = _rein.WriteFile("turns.json", """
            {"turns":[{"tool_calls":[{"name":"shell","arguments":{"command":"touch ran","secrets":["NOPE"]}}]},{"text":"done"}]}
            """);

        var run = await _rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "--workspace", _rein.Workspace, "go");

        Assert.True(run.ExitCode == 0, run.ToString());
        var completed = run.JsonLines().Single(l => l.GetProperty("type").GetString() == "tool_completed");
        Assert.Equal("error", completed.GetProperty("outcome").GetString());
        Assert.Equal("Unknown secret 'NOPE'. Available secrets: KNOWN_TOKEN.", completed.GetProperty("result").GetString());
        Assert.False(File.Exists(Path.Combine(_rein.Workspace, "ran")));
    }

    [Fact]
    public async Task Secrets_WrongPassphrase_ClearErrorNoStackTrace()
    {
        _rein.Environment["REIN_SECRETS_KEY"] = "the right passphrase";
        var set = await _rein.RunWithInputAsync("value-123456", "secrets", "set", "A_TOKEN");
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.False(File.Exists(Path.Combine(_rein.Home, "config", "rein", "secrets.key")), "a passphrase needs no key file");

        _rein.Environment["REIN_SECRETS_KEY"] = "a wrong passphrase";
        var list = await _rein.RunAsync("secrets", "list");
        var run = await _rein.RunAsync("sessions", "list");

        foreach (var result in new[] { list, run })
        {
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("the key (REIN_SECRETS_KEY) is wrong", result.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Secrets_InvalidNameOrEmptyValue_UsageError()
    {
        var badName = await _rein.RunWithInputAsync("value-123456", "secrets", "set", "1-BAD");
        var empty = await _rein.RunWithInputAsync("", "secrets", "set", "GOOD");

        Assert.Equal(2, badName.ExitCode);
        Assert.Contains("not a valid secret name", badName.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, empty.ExitCode);
        Assert.Contains("empty", empty.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_rein.Home, "data", "rein", "secrets.bin")));
    }

    [Fact]
    public async Task SecretsHelp_DescribesUsageStorageAndKey()
    {
        var help = await _rein.RunAsync("secrets", "--help");

        Assert.Equal(0, help.ExitCode);
        foreach (var text in new[] { "\"secrets\": [\"GITHUB_TOKEN\"]", "REIN_SECRETS_KEY", "REIN_SECRETS_FILE", "AES-256-GCM", "[REDACTED:NAME]", "set <name>", "list", "rm <name>" })
        {
            Assert.Contains(text, help.Stdout, StringComparison.Ordinal);
        }
    }

    private static string[] Forms(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var b64 = Convert.ToBase64String(bytes);
        return [value, b64.TrimEnd('='), b64[4..^4], Uri.EscapeDataString(value), JsonSerializer.Serialize(value)[1..^1]];
    }

    private static void AssertNowhere(string[] forms, string text, string where)
    {
        foreach (var form in forms)
        {
            Assert.False(text.Contains(form, StringComparison.Ordinal), $"'{form}' found in {where}");
        }
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
