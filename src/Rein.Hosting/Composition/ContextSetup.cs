using System.Text.Json;
using Microsoft.Extensions.AI;
using Rein.Hosting.Configuration;
using Rein.Context;
using Rein.Context.Compaction;
using Rein.Context.Tokens;

namespace Rein.Hosting.Composition;

/// <summary>Builds the context engine for a model from the <c>context</c> sections of the settings files.</summary>
/// <remarks>
/// <code>
/// "context": {"window": 200000, "compaction_threshold": 0.8, "keep_recent_observations": 10,
///             "masking": true, "code_memory": true, "max_observation_chars": 16000}
/// </code>
/// </remarks>
internal static class ContextSetup
{
    /// <summary>Creates the engine: token counter and window for the model, cache prices for its provider, summaries by the model.</summary>
    /// <exception cref="SettingsException">A <c>context</c> section is invalid.</exception>
    public static ContextEngine Create(ResolvedSettings settings, string model, IChatClient chatClient, string systemPrompt, int maxSteps, Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory = null)
    {
        var options = Read(settings, out var window);
        options.ContextWindow = ModelWindows.For(model, window);

        // Anthropic charges a premium to write its cache; OpenAI-style caches do not.
        options.CacheWritePrice = model.StartsWith("anthropic:", StringComparison.Ordinal) ? 1.25 : 1.0;
        var counter = new WarmingTokenCounter(TokenCounters.ForModel(model), TokenCounters.WarmUp(model));
        return new ContextEngine(systemPrompt, counter, options, new Compactor(chatClient, logger: loggerFactory?.CreateLogger(typeof(Compactor).FullName!))) { MaxSteps = maxSteps };
    }

    /// <summary>Reads the <c>context</c> sections, lowest precedence first.</summary>
    public static ContextOptions Read(ResolvedSettings settings, out int? window)
    {
        var options = new ContextOptions();
        window = null;
        foreach (var document in settings.Documents)
        {
            if (!document.Root.TryGetProperty("context", out var section) || section.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (section.ValueKind != JsonValueKind.Object)
            {
                throw new SettingsException($"{document.Path}: \"context\" must be an object.");
            }

            foreach (var field in section.EnumerateObject())
            {
                try
                {
                    switch (field.Name)
                    {
                        case "window":
                            window = Integer(field, 1_000, 100_000_000);
                            break;
                        case "compaction_threshold":
                            options.CompactionThreshold = Number(field, 0.1, 1.0);
                            break;
                        case "keep_recent_observations":
                            options.KeepRecentObservations = Integer(field, 1, 1_000);
                            break;
                        case "masking":
                            options.Masking = field.Value.GetBoolean();
                            break;
                        case "code_memory":
                            options.CodeMemory = field.Value.GetBoolean();
                            break;
                        case "max_observation_chars":
                            options.MaxObservationChars = Integer(field, 1_000, 10_000_000);
                            break;
                        default:
                            throw new SettingsException($"{document.Path}: unknown field \"context.{field.Name}\" (window, compaction_threshold, keep_recent_observations, masking, code_memory, max_observation_chars).");
                    }
                }
                catch (InvalidOperationException)
                {
                    throw new SettingsException($"{document.Path}: \"context.{field.Name}\" has the wrong type.");
                }
            }
        }

        return options;
    }

    private static int Integer(JsonProperty field, int min, int max)
    {
        var value = field.Value.GetInt32();
        return value >= min && value <= max ? value : throw new SettingsException($"\"context.{field.Name}\" must be between {min} and {max}.");
    }

    private static double Number(JsonProperty field, double min, double max)
    {
        var value = field.Value.GetDouble();
        return value >= min && value <= max ? value : throw new SettingsException($"\"context.{field.Name}\" must be between {min} and {max}.");
    }
}
