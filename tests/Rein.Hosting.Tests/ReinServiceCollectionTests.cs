using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Rein.Hosting.Sessions;
using Rein.Testing;

namespace Rein.Hosting.Tests;

public sealed class ReinServiceCollectionTests : IDisposable
{
    private readonly TempDirectory _temp = new("rein-di");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void AddRein_CalledTwice_RegistersEverythingOnceAndAppliesBothConfigurations()
    {
        var services = new ServiceCollection();

        services.AddRein(o => o.MaxSteps = 7).AddSqliteStore(_temp.Combine("rein.db"));
        services.AddRein(o => o.Mode = "ask");
        using var provider = services.BuildServiceProvider();

        Assert.Single(services, d => d.ServiceType == typeof(ISessionHost));
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(SessionHostWatcher));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<ReinOptions>));
        var host = provider.GetRequiredService<ISessionHost>();
        Assert.Same(host, provider.GetRequiredService<ISessionHost>());
        Assert.Same(host, provider.GetRequiredService<SessionHost>());
        var options = provider.GetRequiredService<IOptions<ReinOptions>>().Value;
        Assert.Equal(7, options.MaxSteps);
        Assert.Equal("ask", options.Mode);
        Assert.Equal(_temp.Combine("rein.db"), ((SessionHost)host).StorePath);
    }

    [Fact]
    public async Task AddRein_WithoutAStore_FailsAtStartNamingTheMethodToCall()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddRein();
        using var app = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(Ct));

        Assert.Contains("AddSqliteStore(path)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MaxSteps", "Rein:MaxSteps")]
    [InlineData("Mode", "Rein:Mode")]
    [InlineData("Model", "Rein:Model")]
    [InlineData("WorkspaceRoots", "Rein:WorkspaceRoots")]
    [InlineData("MaxTime", "Rein:MaxTime")]
    public async Task AddRein_InvalidValue_FailsAtStartNamingTheKey(string property, string key)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddRein(o =>
        {
            switch (property)
            {
                case "MaxSteps":
                    o.MaxSteps = 0;
                    break;
                case "Mode":
                    o.Mode = "yolo";
                    break;
                case "Model":
                    o.Model = "nosuchprovider:model";
                    break;
                case "WorkspaceRoots":
                    o.WorkspaceRoots.Add("relative/folder");
                    break;
                case "MaxTime":
                    o.MaxTime = TimeSpan.Zero;
                    break;
            }
        }).AddSqliteStore(_temp.Combine("rein.db"));
        using var app = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(Ct));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10, null, null, "Rein:Context:Window")]
    [InlineData(null, 1.5, null, "Rein:Context:CompactionThreshold")]
    [InlineData(null, null, 0, "Rein:Context:KeepRecentObservations")]
    public async Task UseContext_InvalidValue_FailsAtStartNamingTheKey(int? window, double? threshold, int? keep, string key)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddRein(o => o.WorkspaceRoots.Add(_temp.Path)).AddSqliteStore(_temp.Combine("rein.db"))
            .UseContext(window, threshold, keep).UseMemory(enabled: false);
        using var app = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(Ct));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BindConfiguration_ContextAndMemorySections_SetTheOptions()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rein:StorePath"] = _temp.Combine("rein.db"),
            ["Rein:Context:Window"] = "32000",
            ["Rein:Context:CompactionThreshold"] = "0.5",
            ["Rein:Memory:Enabled"] = "false",
        });
        builder.Services.AddRein().BindConfiguration();
        using var app = builder.Build();

        var options = app.Services.GetRequiredService<IOptions<ReinOptions>>().Value;

        Assert.Equal(32000, options.Context.Window);
        Assert.Equal(0.5, options.Context.CompactionThreshold);
        Assert.False(options.Memory.Enabled);
    }

    [Fact]
    public async Task BindConfiguration_BadValueInTheSection_FailsAtStartNamingTheKey()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rein:StorePath"] = _temp.Combine("rein.db"),
            ["Rein:WorkspaceRoots:0"] = _temp.Path,
            ["Rein:Model"] = "scripted:turns.json",
            ["Rein:MaxCostUsd"] = "-1",
        });
        builder.Services.AddRein().BindConfiguration();
        using var app = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(Ct));

        Assert.Contains("Rein:MaxCostUsd", error.Message, StringComparison.Ordinal);
        var options = app.Services.GetRequiredService<IOptions<ReinOptions>>();
        Assert.Throws<OptionsValidationException>(() => options.Value);
    }

    [Fact]
    public void BindConfiguration_Section_SetsTheOptions()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rein:StorePath"] = _temp.Combine("rein.db"),
            ["Rein:WorkspaceRoots:0"] = _temp.Path,
            ["Rein:Model"] = "scripted:turns.json",
            ["Rein:MaxTime"] = "00:10:00",
        });
        builder.Services.AddRein().BindConfiguration();
        using var app = builder.Build();

        var options = app.Services.GetRequiredService<IOptions<ReinOptions>>().Value;

        Assert.Equal(_temp.Combine("rein.db"), options.StorePath);
        Assert.Equal([_temp.Path], options.WorkspaceRoots);
        Assert.Equal("scripted:turns.json", options.Model);
        Assert.Equal(TimeSpan.FromMinutes(10), options.MaxTime);
    }

    [Fact]
    public async Task AddRein_ValidOptions_HostStartsAndStops()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddRein(o => o.WorkspaceRoots.Add(_temp.Path)).AddSqliteStore(_temp.Combine("rein.db")).UseGuards("ask").UseBudgets(maxSteps: 5).AddTelemetry();
        using var app = builder.Build();

        await app.StartAsync(Ct);
        await app.StopAsync(Ct);

        var options = app.Services.GetRequiredService<IOptions<ReinOptions>>().Value;
        Assert.Equal("ask", options.Mode);
        Assert.Equal(5, options.MaxSteps);
    }
}
