namespace Rein.Server;

/// <summary>Marks the server assembly (its embedded web console assets are found through it).</summary>
internal static class ServerAssembly;
