using System.Security.Cryptography;
using Rein.Guard.Secrets;
using Rein.Testing;
using Rein.Tools;

namespace Rein.Guard.Tests.Secrets;

public sealed class SecretStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new("rein-secrets");

    public void Dispose() => _dir.Dispose();

    private string SecretsFile => _dir.Combine("data", "secrets.bin");

    private string KeyFile => _dir.Combine("config", "secrets.key");

    private SecretStoreOptions Options(string? key = null) => new()
    {
        FilePath = SecretsFile,
        KeyFilePath = KeyFile,
        Key = key,
        KeySource = "REIN_SECRETS_KEY",
        Pbkdf2Iterations = 1_000,
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SetAsync_ThenReopen_RoundTripsValuesAndTimes()
    {
        var store = SecretStore.Open(Options());
        await store.SetAsync("API_TOKEN", "tok-123 \"quoted\" ünïcödé", Ct);
        await store.SetAsync("_OTHER", "second-value", Ct);

        var reopened = SecretStore.Open(Options());

        Assert.True(reopened.TryGet("API_TOKEN", out var value));
        Assert.Equal("tok-123 \"quoted\" ünïcödé", value);
        Assert.Equal(["API_TOKEN", "_OTHER"], reopened.SecretNames);
        var listed = await reopened.ListAsync(Ct);
        Assert.Equal(["API_TOKEN", "_OTHER"], listed.Select(s => s.Name));
        Assert.All(listed, s => Assert.True(s.UpdatedAt > DateTimeOffset.UnixEpoch));
        Assert.True(((ISecretResolver)reopened).TryGetSecret("_OTHER", out var other));
        Assert.Equal("second-value", other);
    }

    [Fact]
    public async Task SetAsync_FileBytes_DoNotContainTheValue()
    {
        var store = SecretStore.Open(Options());

        await store.SetAsync("API_TOKEN", "plain-text-marker-value", Ct);

        var bytes = File.ReadAllBytes(SecretsFile);
        Assert.Equal(-1, bytes.AsSpan().IndexOf("plain-text-marker-value"u8));
        Assert.Equal(-1, bytes.AsSpan().IndexOf("API_TOKEN"u8));
    }

    [Fact]
    public async Task SetAsync_NoKeyFile_CreatesOwnerOnlyKeyFileAndSecretsFile()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var store = SecretStore.Open(Options());
        Assert.False(File.Exists(KeyFile));

        await store.SetAsync("A_SECRET", "value-1", Ct);

        Assert.True(File.Exists(KeyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SecretsFile));
        Assert.Equal(32, Convert.FromBase64String(File.ReadAllText(KeyFile).Trim()).Length);
    }

    [Fact]
    public void Open_NoFile_NeedsNoKeyAndIsEmpty()
    {
        var store = SecretStore.Open(new SecretStoreOptions { FilePath = SecretsFile });

        Assert.Empty(store.SecretNames);
        Assert.False(store.TryGet("ANY", out _));
        Assert.False(File.Exists(KeyFile));
    }

    [Fact]
    public async Task Open_WrongPassphrase_ThrowsClearErrorAndLeavesFileUnchanged()
    {
        var store = SecretStore.Open(Options("correct horse battery staple"));
        await store.SetAsync("API_TOKEN", "value-1", Ct);
        var before = File.ReadAllBytes(SecretsFile);

        var ex = Assert.Throws<SecretStoreException>(() => SecretStore.Open(Options("wrong passphrase")));

        Assert.Contains("key (REIN_SECRETS_KEY) is wrong", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("value-1", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(SecretsFile));
    }

    [Fact]
    public async Task Open_WrongKeyFile_ThrowsSecretStoreException()
    {
        var store = SecretStore.Open(Options());
        await store.SetAsync("API_TOKEN", "value-1", Ct);
        File.WriteAllText(KeyFile, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));

        var ex = Assert.Throws<SecretStoreException>(() => SecretStore.Open(Options()));

        Assert.Contains("is wrong, or the file was changed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_KeyFileMissingForExistingFile_SaysHowToRecover()
    {
        var store = SecretStore.Open(Options());
        await store.SetAsync("API_TOKEN", "value-1", Ct);
        File.Delete(KeyFile);

        var ex = Assert.Throws<SecretStoreException>(() => SecretStore.Open(Options()));

        Assert.Contains("key was not found", ex.Message, StringComparison.Ordinal);
        Assert.Contains(KeyFile, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(5)] // key derivation byte (header, authenticated)
    [InlineData(20)] // salt (header, authenticated)
    [InlineData(50)] // tag
    [InlineData(-1)] // last ciphertext byte
    public async Task Open_TamperedByte_ThrowsAndSetRefusesToOverwrite(int offset)
    {
        var store = SecretStore.Open(Options());
        await store.SetAsync("API_TOKEN", "value-1", Ct);
        var bytes = File.ReadAllBytes(SecretsFile);
        var index = offset < 0 ? bytes.Length + offset : offset;
        bytes[index] ^= 0x01;
        File.WriteAllBytes(SecretsFile, bytes);

        Assert.Throws<SecretStoreException>(() => SecretStore.Open(Options()));
        await Assert.ThrowsAsync<SecretStoreException>(async () => await store.SetAsync("OTHER", "value-2", Ct));
        Assert.Equal(bytes, File.ReadAllBytes(SecretsFile));
    }

    [Fact]
    public void Open_TruncatedFile_ThrowsNotASecretsFile()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(SecretsFile)!);
        File.WriteAllText(SecretsFile, "REINSECR");

        var ex = Assert.Throws<SecretStoreException>(() => SecretStore.Open(Options()));

        Assert.Contains("not a Rein secrets file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_RawKeyAndPassphrase_AreDistinctAndEachRoundTrips()
    {
        var raw = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var rawStore = SecretStore.Open(Options(raw));
        await rawStore.SetAsync("RAW", "value-raw", Ct);
        Assert.True(SecretStore.Open(Options(raw)).TryGet("RAW", out var fromRaw));
        Assert.Equal("value-raw", fromRaw);
        Assert.False(File.Exists(KeyFile), "a given key never creates a key file");

        var mismatch = Assert.Throws<SecretStoreException>(() => SecretStore.Open(Options("a passphrase")));
        Assert.Contains("encrypted with a 32-byte key", mismatch.Message, StringComparison.Ordinal);

        File.Delete(SecretsFile);
        var passStore = SecretStore.Open(Options("a passphrase"));
        await passStore.SetAsync("PASS", "value-pass", Ct);
        Assert.True(SecretStore.Open(Options("a passphrase")).TryGet("PASS", out var fromPass));
        Assert.Equal("value-pass", fromPass);
        Assert.Throws<SecretStoreException>(() => SecretStore.Open(Options(raw)));
    }

    [Fact]
    public async Task SetAsync_TwoStoresOnOneFile_KeepEachOthersChanges()
    {
        var first = SecretStore.Open(Options());
        var second = SecretStore.Open(Options());

        await first.SetAsync("FIRST", "value-1", Ct);
        await second.SetAsync("SECOND", "value-2", Ct);

        Assert.Equal(["FIRST", "SECOND"], SecretStore.Open(Options()).SecretNames);
        Assert.Equal(["FIRST", "SECOND"], second.SecretNames);
    }

    [Fact]
    public async Task SetAsync_WriteFails_LeavesOldFileAndNoTemporaryFiles()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix permissions");
        var store = SecretStore.Open(Options());
        await store.SetAsync("API_TOKEN", "value-1", Ct);
        var before = File.ReadAllBytes(SecretsFile);
        var folder = Path.GetDirectoryName(SecretsFile)!;

        // Replace the file with a folder of the same name: the rename over it fails after the temporary file is written.
        File.Move(SecretsFile, SecretsFile + ".bak");
        Directory.CreateDirectory(SecretsFile);
        File.Copy(SecretsFile + ".bak", Path.Combine(SecretsFile, "inside"));
        try
        {
            await Assert.ThrowsAnyAsync<SecretStoreException>(async () => await store.SetAsync("OTHER", "value-2", Ct));
        }
        finally
        {
            Directory.Delete(SecretsFile, recursive: true);
            File.Move(SecretsFile + ".bak", SecretsFile);
        }

        Assert.Equal(before, File.ReadAllBytes(SecretsFile));
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }

    [Fact]
    public async Task SetAsync_ReplacesFileByRename_OldInodeKeepsOldContent()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "hard links via ln");
        var store = SecretStore.Open(Options());
        await store.SetAsync("API_TOKEN", "value-1", Ct);
        var firstWrite = File.ReadAllBytes(SecretsFile);
        var link = _dir.Combine("old-inode");
        using (var ln = System.Diagnostics.Process.Start("ln", [SecretsFile, link]))
        {
            await ln.WaitForExitAsync(Ct);
            Assert.Equal(0, ln.ExitCode);
        }

        await store.SetAsync("API_TOKEN", "value-2", Ct);

        // An in-place write would have changed the linked inode too; a rename leaves it whole.
        Assert.Equal(firstWrite, File.ReadAllBytes(link));
        Assert.NotEqual(firstWrite, File.ReadAllBytes(SecretsFile));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(SecretsFile)!, "*.tmp"));
        Assert.True(SecretStore.Open(Options()).TryGet("API_TOKEN", out var value));
        Assert.Equal("value-2", value);
    }

    [Fact]
    public async Task RemoveAsync_ExistingAndMissing_ReportsWhetherRemoved()
    {
        var store = SecretStore.Open(Options());
        Assert.False(await store.RemoveAsync("NOTHING_YET", Ct));
        await store.SetAsync("API_TOKEN", "value-1", Ct);

        Assert.True(await store.RemoveAsync("API_TOKEN", Ct));
        Assert.False(await store.RemoveAsync("API_TOKEN", Ct));

        Assert.Empty(SecretStore.Open(Options()).SecretNames);
    }

    [Theory]
    [InlineData("GITHUB_TOKEN", true)]
    [InlineData("_x1", true)]
    [InlineData("a", true)]
    [InlineData("1ABC", false)]
    [InlineData("MY-TOKEN", false)]
    [InlineData("MY TOKEN", false)]
    [InlineData("TOKÉN", false)]
    [InlineData("", false)]
    public void IsValidName_Names_Classified(string name, bool valid) =>
        Assert.Equal(valid, SecretStore.IsValidName(name));

    [Fact]
    public async Task SetAsync_InvalidNameOrValue_Throws()
    {
        var store = SecretStore.Open(Options());

        await Assert.ThrowsAsync<ArgumentException>(async () => await store.SetAsync("1BAD", "value-1", Ct));
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.SetAsync("GOOD", "", Ct));
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.SetAsync("GOOD", "a\0b", Ct));
        Assert.False(File.Exists(SecretsFile));
    }
}
