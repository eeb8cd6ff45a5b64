using System.Text.Json;
using Rein.Hosting.Configuration;
using Rein.Telemetry;

namespace Rein.Hosting.Composition;

/// <summary>
/// What goes on Rein's spans, from the <c>telemetry</c> settings section and the standard environment variable:
/// <c>"telemetry": {"capture_content": true}</c> puts message content on spans;
/// <c>OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true|false</c> overrides the settings files.
/// </summary>
internal static class TelemetrySettings
{
    /// <summary>Reads the options; later settings files win, the environment variable wins over all.</summary>
    /// <exception cref="SettingsException">The section or a field has the wrong shape, or a field is unknown.</exception>
    public static TelemetryOptions Read(ResolvedSettings settings, Func<string, string?> getVariable)
    {
        var options = new TelemetryOptions();
        foreach (var document in settings.Documents)
        {
            if (!document.Root.TryGetProperty("telemetry", out var section) || section.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (section.ValueKind != JsonValueKind.Object)
            {
                throw new SettingsException($"{document.Path}: \"telemetry\" must be an object, e.g. {{\"capture_content\": true}}.");
            }

            foreach (var field in section.EnumerateObject())
            {
                options.CaptureMessageContent = field.Name switch
                {
                    "capture_content" when field.Value.ValueKind is JsonValueKind.True or JsonValueKind.False => field.Value.GetBoolean(),
                    "capture_content" => throw new SettingsException($"{document.Path}: \"telemetry.capture_content\" must be true or false."),
                    _ => throw new SettingsException($"{document.Path}: unknown field \"telemetry.{field.Name}\" (capture_content). Export is switched on by OTEL_EXPORTER_OTLP_ENDPOINT."),
                };
            }
        }

        if (bool.TryParse(getVariable(ReinTelemetry.CaptureMessageContentVariable)?.Trim(), out var fromEnvironment))
        {
            options.CaptureMessageContent = fromEnvironment;
        }

        return options;
    }
}
