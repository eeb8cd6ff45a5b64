using System.Text.Json.Serialization;

namespace Rein.Testing.FakeChat;

/// <summary>Source-generated JSON metadata for the few values the fake chat services serialize directly.</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class FakeChatJsonContext : JsonSerializerContext;
