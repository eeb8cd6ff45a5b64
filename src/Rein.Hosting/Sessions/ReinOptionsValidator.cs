using System.Globalization;
using Microsoft.Extensions.Options;
using Rein.Guard.Policy;
using Rein.Providers;

namespace Rein.Hosting.Sessions;

/// <summary>Checks <see cref="ReinOptions"/> when the host starts; each failure names its key (<c>Rein:KEY</c>) and what to do.</summary>
internal sealed class ReinOptionsValidator : IValidateOptions<ReinOptions>
{
    public ValidateOptionsResult Validate(string? name, ReinOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.StorePath))
        {
            failures.Add("Rein:StorePath is not set: call AddSqliteStore(path) on the builder AddRein returns, or set Rein:StorePath.");
        }

        foreach (var root in options.WorkspaceRoots)
        {
            if (string.IsNullOrWhiteSpace(root) || !Path.IsPathFullyQualified(root) || !Directory.Exists(root))
            {
                failures.Add($"Rein:WorkspaceRoots: '{root}' is not an absolute path of an existing folder.");
            }
        }

        if (options.Model is { } model && !model.StartsWith("scripted:", StringComparison.Ordinal) && !model.StartsWith("replay:", StringComparison.Ordinal))
        {
            try
            {
                ModelSpec.Parse(model);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                failures.Add($"Rein:Model: {ex.Message}");
            }
        }

        if (options.BaseUrl is { } baseUrl && !Uri.TryCreate(baseUrl, UriKind.Absolute, out _))
        {
            failures.Add($"Rein:BaseUrl must be an absolute URL (e.g. http://127.0.0.1:11434/v1), not '{baseUrl}'.");
        }

        if (options.Mode is { } mode)
        {
            try
            {
                PermissionModes.Parse(mode);
            }
            catch (FormatException ex)
            {
                failures.Add($"Rein:Mode: {ex.Message}");
            }
        }

        if (options.MaxSteps is <= 0)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Rein:MaxSteps must be a positive whole number, not {options.MaxSteps}."));
        }

        if (options.MaxTokens is <= 0)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Rein:MaxTokens must be a positive whole number, not {options.MaxTokens}."));
        }

        if (options.MaxCostUsd is <= 0)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Rein:MaxCostUsd must be a positive amount of US dollars, not {options.MaxCostUsd}."));
        }

        if (options.MaxTime is { } maxTime && maxTime <= TimeSpan.Zero)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Rein:MaxTime must be a positive duration, not {maxTime}."));
        }

        if (options.PollInterval <= TimeSpan.Zero)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Rein:PollInterval must be a positive duration, not {options.PollInterval}."));
        }

        // The same ranges as the settings files' context section, so a value accepted here is never refused when a session starts.
        if (options.Context.Window is < 1_000 or > 100_000_000)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Rein:Context:Window must be a number of tokens from 1000 to 100000000, not {options.Context.Window}."));
        }

        if (options.Context.CompactionThreshold is { } threshold && !(threshold >= 0.1 && threshold <= 1.0))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Rein:Context:CompactionThreshold must be a share of the window from 0.1 to 1.0, not {threshold}."));
        }

        if (options.Context.KeepRecentObservations is < 1 or > 1_000)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Rein:Context:KeepRecentObservations must be a whole number from 1 to 1000, not {options.Context.KeepRecentObservations}."));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
