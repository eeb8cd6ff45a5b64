using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.ClearProviders();
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddMcpServer(o => o.ServerInfo = new Implementation { Name = "rein-test", Version = "1.0.0" })
    .WithStdioServerTransport()
    .WithTools<TestTools>()
    .WithResources<TestResources>();
Console.Error.WriteLine("rein-test server starting");
await builder.Build().RunAsync();

[McpServerToolType]
internal sealed class TestTools
{
    [McpServerTool(Name = "echo", ReadOnly = true), Description("Returns the text it is given.")]
    public static string Echo([Description("The text.")] string text) => "echo: " + text;

    [McpServerTool(Name = "add"), Description("Adds two integers.")]
    public static int Add(int a, int b) => a + b;

    [McpServerTool(Name = "fail"), Description("Always fails.")]
    public static CallToolResult Fail() => new() { IsError = true, Content = [new TextContentBlock { Text = "the thing is broken" }] };

    [McpServerTool(Name = "crash"), Description("Exits the server process.")]
    public static string Crash()
    {
        Console.Error.WriteLine("crashing on purpose");
        Environment.Exit(3);
        return "unreachable";
    }

    [McpServerTool(Name = "hang"), Description("Waits a long time.")]
    public static async Task<string> Hang(CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromMinutes(5), cancellationToken);
        return "done";
    }

    [McpServerTool(Name = "env"), Description("Returns an environment variable's value, or (unset).")]
    public static string Env(string name) => Environment.GetEnvironmentVariable(name) ?? "(unset)";

    [McpServerTool(Name = "read"), Description("Returns a file's text, or why it cannot be read.")]
    public static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "cannot read: " + ex.GetType().Name;
        }
    }

    [McpServerTool(Name = "fetch"), Description("Fetches a URL over HTTP (through the proxy the environment names); returns the status and body, or why not.")]
    public static async Task<string> Fetch(string url, CancellationToken cancellationToken)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
            using var response = await http.GetAsync(new Uri(url), cancellationToken);
            return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
        }
        catch (HttpRequestException ex)
        {
            return "cannot fetch: " + ex.Message;
        }
        catch (TaskCanceledException)
        {
            return "cannot fetch: timed out";
        }
    }

    [McpServerTool(Name = "write"), Description("Writes a file; returns ok or why not.")]
    public static string Write(string path, string text)
    {
        try
        {
            File.WriteAllText(path, text);
            return "ok";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "cannot write: " + ex.GetType().Name;
        }
    }
}

[McpServerResourceType]
internal sealed class TestResources
{
    [McpServerResource(UriTemplate = "test://notes/readme", Name = "readme", MimeType = "text/plain"), Description("A short note.")]
    public static string Readme() => "the readme of the test server";
}
