using System.Globalization;
using System.Text.Json;
using Json.Schema;

namespace Rein.Guard.Hooks;

/// <summary>Checks arguments a hook rewrote against the tool's JSON schema.</summary>
internal static class InputSchemaCheck
{
    public static Func<JsonElement, IReadOnlyList<string>> Create(string schemaText)
    {
        var schema = JsonSchema.FromText(schemaText);
        return arguments =>
        {
            var results = schema.Evaluate(arguments, new EvaluationOptions { OutputFormat = OutputFormat.List });
            if (results.IsValid)
            {
                return [];
            }

            var problems = new List<string>();
            foreach (var detail in results.Details ?? [])
            {
                foreach (var error in detail.Errors ?? new Dictionary<string, string>())
                {
                    var where = detail.InstanceLocation.ToString().TrimStart('#');
                    problems.Add(where is "" or "/" ? error.Value : string.Create(CultureInfo.InvariantCulture, $"{where}: {error.Value}"));
                }
            }

            return problems.Count > 0 ? [.. problems.Distinct(StringComparer.Ordinal)] : ["the arguments do not match the tool's parameter schema"];
        };
    }
}
