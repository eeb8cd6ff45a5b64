using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json.Serialization;

namespace Rein.Journal;

/// <summary>Maps event types to their stable snake_case names.</summary>
internal static class EventTypeNames
{
    private static readonly FrozenDictionary<Type, string> Names = typeof(SessionEvent)
        .GetCustomAttributes<JsonDerivedTypeAttribute>()
        .ToFrozenDictionary(a => a.DerivedType, a => (string)a.TypeDiscriminator!);

    public static string Of(Type type) => Names.TryGetValue(type, out var name) ? name : type.Name;
}
