using System.Text.Json;
using System.Text.Json.Nodes;
using Rein.Tools;

namespace Rein.Server.Acp;

/// <summary>
/// The editor's files over ACP (<c>fs/read_text_file</c>, <c>fs/write_text_file</c>), for a client that offers them: the
/// file tools see the user's unsaved changes and write into the editor's buffers. The policy has judged each path first.
/// </summary>
internal sealed class AcpEditorFiles(AcpAgent agent, AcpSession session, bool canRead, bool canWrite, Action<string> log) : IEditorFiles
{
    public bool CanRead => canRead;

    public bool CanWrite => canWrite;

    public async ValueTask<string?> ReadTextAsync(string path, CancellationToken cancellationToken = default)
    {
        try
        {
            var result = await agent.RequestAsync("fs/read_text_file", new JsonObject { ["sessionId"] = session.Id, ["path"] = path }, cancellationToken).ConfigureAwait(false);
            return result.ValueKind == JsonValueKind.Object && result.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String ? content.GetString() : null;
        }
        catch (Exception ex) when (ex is JsonRpcException or IOException)
        {
            log($"rein acp: the editor did not read {path} ({ex.Message}); reading the file on disk.");
            return null;
        }
    }

    public async ValueTask<bool> WriteTextAsync(string path, string content, CancellationToken cancellationToken = default)
    {
        try
        {
            await agent.RequestAsync("fs/write_text_file", new JsonObject { ["sessionId"] = session.Id, ["path"] = path, ["content"] = content }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is JsonRpcException or IOException)
        {
            log($"rein acp: the editor did not write {path} ({ex.Message}); writing the file on disk.");
            return false;
        }
    }
}
