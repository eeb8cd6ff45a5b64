namespace Rein.Tools;

/// <summary>Turns the failures a model can act on into error results, so tools read top to bottom.</summary>
internal static class ToolGuard
{
    public static async ValueTask<ToolResult> RunAsync(Func<ValueTask<ToolResult>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (ToolArgumentException ex)
        {
            return ToolResult.Error(ex.Message);
        }
        catch (FileNotFoundException)
        {
            return ToolResult.Error("The file does not exist.");
        }
        catch (DirectoryNotFoundException)
        {
            return ToolResult.Error("The folder does not exist.");
        }
        catch (UnauthorizedAccessException)
        {
            return ToolResult.Error("Permission denied.");
        }
        catch (IOException ex)
        {
            return ToolResult.Error($"I/O error: {ex.Message}");
        }
    }
}
