using Rein.Tools;

namespace Rein.Guard.Hooks;

/// <summary>Options for <see cref="HookRunner"/>.</summary>
public sealed class HookRunnerOptions
{
    /// <summary>Gets or sets how long a hook may run when its configuration gives no <c>timeout</c>. Default: 60 seconds.</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets or sets the permission mode reported to hooks as <c>permission_mode</c>. Default: <c>default</c>.</summary>
    public string PermissionMode { get; set; } = "default";

    /// <summary>Gets or sets the most output characters kept from one hook (head and tail beyond that). Default: 10,000.</summary>
    public int MaxOutputChars { get; set; } = 10_000;

    /// <summary>
    /// Gets or sets the values the journal and the model's view redact, if any (in production the session's stored
    /// secrets). Hook output is cut around them, never through one, so the redaction still finds each one whole and no
    /// prefix of a value is kept. Default: none.
    /// </summary>
    public IOutputRedactor? Redactor { get; set; }
}
