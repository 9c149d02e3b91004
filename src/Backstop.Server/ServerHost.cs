using System.Net;
using System.Reflection;
using System.Security.Cryptography.X509Certificates;
using System.Threading.RateLimiting;
using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Core.Reports;
using Backstop.Core.State;
using Backstop.Core.Team;
using Backstop.Server.Api;
using Backstop.Server.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Backstop.Server;

/// <summary>
/// <c>backstop server</c>: one Kestrel process serving the JSON API (and, later, the console and the proxy listeners),
/// configured from backstop.yaml's <c>server:</c> section, with its state in the configured store. Several processes on
/// one PostgreSQL state behave as one (docs/architecture.md "Team mode").
/// </summary>
public sealed class ServerHost
{
    public static string Version { get; } =
        typeof(ServerHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>Opens the state and builds the application; <see cref="WebApplication.StartAsync"/> starts it.</summary>
    /// <param name="variables">the server's environment variables, for <c>env:VAR</c> URLs.</param>
    /// <param name="log">the state store's audit log, where every audit event goes.</param>
    /// <param name="key">signs the audit log's checkpoints.</param>
    public static async Task<WebApplication> BuildAsync(
        BackstopConfig config, Func<string, string?> variables, Action<string>? notice, Core.Audit.IAuditLog log, Core.Audit.AuditSigningKey key, TimeProvider clock, ICommandRunner commands, CancellationToken cancellationToken)
    {
        var audit = new StoreAuditTrail(log);
        var settings = config.Server ?? ServerSettings.Default;
        var location = StateLocation.Of(config, variables);
        var store = await StateStores.OpenAsync(location, notice, cancellationToken);
        var teamDatabase = await TeamDatabase.OpenAsync(location, notice, cancellationToken);
        var team = new TeamStore(teamDatabase);
        WebApplication? app = null;
        var notifier = ServerSchedules.Notifier(config, settings, variables, teamDatabase, clock, () => app);
        var context = new ServerContext
        {
            Config = config,
            Settings = settings,
            Store = store,
            Team = team,
            Audit = audit,
            AuditLog = log,
            SigningKey = key,
            Clock = clock,
            Connector = new EnvironmentConnector(variables, notice),
            Notifications = (Notifications.INotifications?)notifier ?? Notifications.NoNotifications.Instance,
        };

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = Path.GetDirectoryName(config.Path),
            // No appsettings to reload: without this a file watcher wakes on every write of the state store beside it.
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        var certificate = settings.Certificate is { } cert && settings.Key is { } tlsKey ? LoadCertificate(config.Resolve(cert), config.Resolve(tlsKey)) : null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (var url in settings.Urls)
            {
                Listen(kestrel, new Uri(url), certificate);
            }
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ "; o.UseUtcTimestamp = true; });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddSingleton(context);
        builder.Services.AddSingleton(new SignInService(team, settings, audit, clock));
        builder.Services.AddSingleton(new UserService(team, audit, clock));
        builder.Services.AddSingleton(new ChangeService(context));
        builder.Services.AddSingleton(new ApprovalService(context));
        builder.Services.AddSingleton(new CommandService(context, commands));
        await ServerSchedules.AddAsync(builder.Services, context, teamDatabase, location, commands, notifier, cancellationToken);
        var snapshotLinks = new SnapshotLinkService(context, new Core.Snapshots.Links.SnapshotLinkStore(teamDatabase),
            new Recovery.Snapshots.RepositorySnapshotFinder(Recovery.Snapshots.SnapshotRepository.For(config)));
        builder.Services.AddSingleton(snapshotLinks);
        builder.Services.AddHostedService(_ => new SnapshotLinkSweeper(snapshotLinks, message => Console.Error.WriteLine(message)));
        builder.Services.AddHostedService(_ => new RunningChangeSettler(context, message => Console.Error.WriteLine(message)));
        if (settings.Proxy is { } proxySettings)
        {
            // The proxy listener lives and dies with the server (docs/proxy.md).
            var backend = new ProxyBackend(context);
            var proxy = new Proxy.Sessions.ProxyServer(proxySettings, backend, certificate, clock, message => Console.Error.WriteLine(message));
            builder.Services.AddSingleton(proxy);
            builder.Services.AddHostedService(_ => new ProxyHostedService(proxy, backend));
        }

        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
            o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
        });
        builder.Services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new() { Title = "Backstop server API", Version = Version, Description = "Guarded changes, approvals and the audit log of a Backstop team server (docs/server.md)." };
            return Task.CompletedTask;
        }));
        builder.Services.AddRateLimiter(o =>
        {
            o.AddPolicy(Endpoints.SignInPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = settings.SignInsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            o.OnRejected = async (rejected, ct) =>
            {
                await audit.RecordAsync(new AuditEvent("(unknown)", Caller.From(rejected.HttpContext), "signin.limited", null, null, "refused"), ct);
                await Problems.WriteAsync(rejected.HttpContext, 429, 1, "Too many requests",
                    $"too many sign-in attempts from this address (more than {settings.SignInsPerMinute} a minute); wait a minute and try again");
            };
        });

        app = builder.Build();
        if (settings.TrustedProxies.Count > 0)
        {
            var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto, ForwardLimit = 1 };
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in settings.TrustedProxies)
            {
                forwarded.KnownProxies.Add(proxy);
            }

            app.UseForwardedHeaders(forwarded);
        }

        app.Use(async (http, next) =>
        {
            // The API serves JSON only: nothing in it may be framed, sniffed, cached or run as a page.
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
            headers.XContentTypeOptions = "nosniff";
            headers.CacheControl = "no-store";
            headers["Referrer-Policy"] = "no-referrer";
            await next(http);
        });
        app.Use(Problems.Middleware);
        app.UseRateLimiter();
        Endpoints.Map(app);
        WebConsole.ConsolePages.Map(app);
        app.MapOpenApi("/api/v1/openapi.json");
        return app;
    }

    /// <summary>Where the proxy listens (with the real port when the configuration said 0); null without a proxy.</summary>
    public static System.Net.IPEndPoint? ProxyEndpoint(WebApplication app) =>
        app.Services.GetService<Proxy.Sessions.ProxyServer>()?.Endpoint;

    /// <summary>The addresses Kestrel bound (with the real port when the configuration said 0).</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    private static void Listen(KestrelServerOptions kestrel, Uri url, X509Certificate2? certificate)
    {
        Action<ListenOptions> configure = url.Scheme == "https"
            ? o => o.UseHttps(certificate ?? throw new ConfigException($"server.urls has {url} but server.tls names no certificate"))
            : _ => { };
        if (url.Host is "localhost")
        {
            kestrel.ListenLocalhost(url.Port, configure);
        }
        else if (url.Host is "0.0.0.0" or "*" or "[::]")
        {
            kestrel.ListenAnyIP(url.Port, configure);
        }
        else if (IPAddress.TryParse(url.Host.Trim('[', ']'), out var address))
        {
            kestrel.Listen(address, url.Port, configure);
        }
        else
        {
            throw new ConfigException($"server.urls has {url}; listen on an IP address (127.0.0.1, 0.0.0.0, ::1) or localhost, not a host name");
        }
    }

    private static X509Certificate2 LoadCertificate(string certificate, string key)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(certificate, key);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new ConfigException($"the server's TLS certificate {certificate} and key {key} could not be loaded ({e.Message}); server.tls needs a PEM certificate chain and its PEM private key");
        }
    }
}

/// <summary>Starts the proxy listener with the server and stops it, its sessions' audit written, when the server stops.</summary>
internal sealed class ProxyHostedService(Proxy.Sessions.ProxyServer proxy, ProxyBackend backend) : Microsoft.Extensions.Hosting.IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        proxy.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await proxy.DisposeAsync();
        // Kept changes whose record is still being settled: written before the process ends, when the store answers.
        await backend.DrainAsync(TimeSpan.FromSeconds(5));
    }
}
