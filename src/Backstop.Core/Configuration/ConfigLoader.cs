using Backstop.Core.Policies;
using Backstop.Core.Environments;
using Backstop.Postgres.Catalog;
using Backstop.Postgres.Connections;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Backstop.Core.Configuration;

/// <summary>Finds and reads backstop.yaml; every mistake in it is reported with the file, line and column.</summary>
public static class ConfigLoader
{
    public const string FileName = "backstop.yaml";

    public const string PathVariable = "BACKSTOP_CONFIG";

    private static readonly string[] TopLevelKeys = ["environments", "policies", "state", "server", "notifications"];
    private static readonly string[] ServerKeys = ["urls", "tls", "signing_key", "token_expiry", "approval_expiry", "execute_window", "lock_after", "sign_ins_per_minute", "trusted_proxies", "proxy", "public_url"];
    private static readonly string[] ProxyKeys = ["listen", "require_tls", "authentication_timeout", "idle_timeout", "max_connections_per_user", "max_connections", "parameters", "service_sessions_without_audit", "persistent_capture"];
    private static readonly string[] EnvironmentKeys = ["url", "tier", "timezone", "lock_timeout", "statement_timeout", "retention", "identity", "backup", "pitr", "review", "schedule", "snapshot"];
    private static readonly string[] BackupKeys = ["repository", "jobs", "compression", "keep", "max_age", "proven_within"];
    private static readonly string[] PitrKeys = ["pgdata", "repository", "stanza"];
    private static readonly string[] IdentityKeys = ["system_identifier", "database", "database_oid", "host", "port"];

    /// <summary>database_oid may be missing: identities recorded before Backstop recorded it lack it.</summary>
    private static readonly string[] RequiredIdentityKeys = ["system_identifier", "database", "host", "port"];

    /// <summary>Where the configuration is: <c>--config</c>, else <c>BACKSTOP_CONFIG</c>, else backstop.yaml in the working directory.</summary>
    public static string Locate(string? explicitPath, string workingDirectory, Func<string, string?> environment)
    {
        var path = explicitPath ?? environment(PathVariable) ?? FileName;
        return Path.GetFullPath(path, workingDirectory);
    }

    /// <exception cref="ConfigException">the file is missing or invalid.</exception>
    public static BackstopConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ConfigException($"no configuration at {path}; create one with `backstop init` (or point --config / {PathVariable} at yours)");
        }

        return Parse(File.ReadAllText(path), path);
    }

    public static BackstopConfig Parse(string text, string path)
    {
        var yaml = new YamlStream();
        try
        {
            using var reader = new StringReader(text);
            yaml.Load(reader);
        }
        catch (YamlException e)
        {
            throw new ConfigException(path, e.Start.Line, e.Start.Column, "invalid YAML: " + e.Message);
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this, without a position, on a flow collection left open before more lines
            // ("prod: [unclosed" then "policies:").
            throw new ConfigException($"{path}: invalid YAML: the file could not be read to its end; look for a [ or {{ that is never closed");
        }

        var read = new YamlReader(path);
        var environments = new List<EnvironmentConfig>();
        var policies = new Dictionary<Tier, TierPolicy>
        {
            [Tier.Production] = TierPolicy.Production,
            [Tier.Staging] = TierPolicy.Staging,
            [Tier.Development] = TierPolicy.Development,
        };
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return new BackstopConfig { Path = path, Environments = environments, Policies = policies };
        }

        var root = read.Mapping(yaml.Documents[0].RootNode, "the file");
        string? state = null;
        ServerSettings? server = null;
        NotificationSettings? notifications = null;
        foreach (var (key, value) in read.Entries(root, "the file", TopLevelKeys))
        {
            if (IsEmpty(value))
            {
                continue;
            }

            if (key == "server")
            {
                server = ReadServer(read, value);
            }
            else if (key == "notifications")
            {
                notifications = NotificationReader.Read(read, value);
            }
            else if (key == "state")
            {
                state = ReadUrl(read, value, key, "the state store's URL");
            }
            else if (key == "environments")
            {
                var mapping = read.Mapping(value, "environments");
                foreach (var (name, node) in read.Entries(mapping, "environments", []))
                {
                    // `-e Prod` and `-e prod` must never reach two different databases by a slip of the shift key.
                    if (environments.FirstOrDefault(e => e.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) is { } same)
                    {
                        throw read.Error(
                            mapping.Children.Keys.First(k => k is YamlScalarNode { Value: var v } && v == name),
                            $"the environment names '{same.Name}' and '{name}' differ only in case; rename one of them");
                    }

                    environments.Add(ReadEnvironment(read, name, node));
                }
            }
            else
            {
                foreach (var (tierName, node) in read.Entries(read.Mapping(value, "policies"), "policies", ["production", "staging", "development"]))
                {
                    if (IsEmpty(node))
                    {
                        continue;
                    }

                    var tier = Enum.Parse<Tier>(tierName, ignoreCase: true);
                    policies[tier] = PolicyReader.Read(read, policies[tier], node, $"policies.{tierName}");
                }
            }
        }

        return new BackstopConfig { Path = path, Environments = environments, Policies = policies, State = state, Server = server, Notifications = notifications };
    }

    private static ServerSettings ReadServer(YamlReader read, YamlNode node)
    {
        var settings = ServerSettings.Default;
        foreach (var (key, value) in read.Entries(read.Mapping(node, "server"), "server", ServerKeys))
        {
            settings = key switch
            {
                "urls" => settings with { Urls = ReadServerUrls(read, value) },
                "tls" => ReadTls(read, value, settings),
                "signing_key" => settings with { SigningKey = read.Scalar(value, key) },
                "token_expiry" => settings with { TokenExpiry = read.Duration(value, key) },
                "approval_expiry" => settings with { ApprovalExpiry = read.Duration(value, key) },
                "execute_window" => settings with { ExecuteWindow = read.Duration(value, key) },
                "lock_after" => settings with { LockAfter = (int)Math.Min(read.Long(value, key, 1), 1000) },
                "trusted_proxies" => settings with { TrustedProxies = ReadAddresses(read, value) },
                "proxy" => settings with { Proxy = ReadProxy(read, value) },
                "public_url" => settings with { PublicUrl = ReadPublicUrl(read, value) },
                _ => settings with { SignInsPerMinute = (int)Math.Min(read.Long(value, key, 1), 100_000) },
            };
        }

        if (settings.Urls.Any(u => u.StartsWith("https:", StringComparison.OrdinalIgnoreCase)) && (settings.Certificate is null || settings.Key is null))
        {
            throw read.Error(node, "server.urls has an https:// URL but server.tls has no 'certificate' and 'key' (PEM files); add them, or listen on http:// behind a TLS proxy");
        }

        if (settings.Proxy is { RequireTls: true } && (settings.Certificate is null || settings.Key is null))
        {
            throw read.Error(node, "server.proxy.require_tls is on but server.tls has no 'certificate' and 'key' (PEM files); add them, or turn require_tls off");
        }

        return settings;
    }

    private static ProxySettings ReadProxy(YamlReader read, YamlNode node)
    {
        var proxy = new ProxySettings();
        if (node is YamlScalarNode { Value: null or "" or "~" })
        {
            return proxy;
        }

        foreach (var (key, value) in read.Entries(read.Mapping(node, "proxy"), "server.proxy", ProxyKeys))
        {
            proxy = key switch
            {
                "listen" => proxy with { Listen = ProxyListen(read, value) },
                "require_tls" => proxy with { RequireTls = read.Bool(value, key) },
                "authentication_timeout" => proxy with { AuthenticationTimeout = read.Duration(value, key, TimeSpan.FromHours(1)) },
                "idle_timeout" => proxy with { IdleTimeout = read.Duration(value, key) },
                "max_connections_per_user" => proxy with { MaxConnectionsPerUser = (int)Math.Min(read.Long(value, key, 1), 100_000) },
                "max_connections" => proxy with { MaxConnections = (int)Math.Min(read.Long(value, key, 1), 1_000_000) },
                "parameters" => proxy with
                {
                    Parameters = read.Scalar(value, key) is var p && p is "hash" or "redact" or "keep"
                        ? p
                        : throw read.Error(value, "server.proxy.parameters is hash (the default: SHA-256 of each value), redact or keep"),
                },
                "persistent_capture" => proxy with { PersistentCapture = read.Bool(value, key) },
                _ => proxy with { ServiceSessionsWithoutAudit = read.Bool(value, key) },
            };
        }

        return proxy;
    }

    private static string ProxyListen(YamlReader read, YamlNode node)
    {
        var text = read.Scalar(node, "listen");
        var colon = text.LastIndexOf(':');
        var host = colon > 0 ? text[..colon].Trim('[', ']') : "";
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port > 65535
            || !(host == "localhost" || System.Net.IPAddress.TryParse(host, out _)))
        {
            throw read.Error(node, $"server.proxy.listen has '{text}'; expected HOST:PORT with an IP address or localhost, e.g. {ProxySettings.DefaultListen} or 0.0.0.0:6440");
        }

        return text;
    }

    private static string ReadPublicUrl(YamlReader read, YamlNode node)
    {
        var text = read.Scalar(node, "public_url");
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.UserInfo)
            ? text.TrimEnd('/')
            : throw read.Error(node, $"server.public_url is '{text}'; expected the address people open the server at, e.g. https://backstop.example.com (links in notifications start with it)");
    }

    private static IReadOnlyList<string> ReadServerUrls(YamlReader read, YamlNode node)
    {
        var urls = node is YamlSequenceNode sequence ? sequence.Children.Select(c => (c, read.Scalar(c, "urls"))).ToList() : [(node, read.Scalar(node, "urls"))];
        foreach (var (at, url) in urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/")
            {
                throw read.Error(at, $"server.urls has '{url}'; expected a URL like {ServerSettings.DefaultUrl} or https://0.0.0.0:8443 (scheme, host and port only)");
            }
        }

        return urls.Count > 0 ? urls.Select(u => u.Item2).ToList() : throw read.Error(node, "server.urls is empty; give at least one URL to listen on");
    }

    private static IReadOnlyList<System.Net.IPAddress> ReadAddresses(YamlReader read, YamlNode node)
    {
        var items = node is YamlSequenceNode sequence ? sequence.Children.ToList() : [node];
        return items.Select(item => System.Net.IPAddress.TryParse(read.Scalar(item, "trusted_proxies"), out var address)
            ? address
            : throw read.Error(item, $"server.trusted_proxies has '{read.Scalar(item, "trusted_proxies")}'; list the IP addresses of the load balancers in front of the server, e.g. [10.0.0.5, 10.0.0.6]")).ToList();
    }

    private static ServerSettings ReadTls(YamlReader read, YamlNode node, ServerSettings settings)
    {
        foreach (var (key, value) in read.Entries(read.Mapping(node, "tls"), "server.tls", ["certificate", "key"]))
        {
            settings = key == "certificate" ? settings with { Certificate = read.Scalar(value, key) } : settings with { Key = read.Scalar(value, key) };
        }

        return settings;
    }

    private static bool IsEmpty(YamlNode node) => node is YamlScalarNode { Value: null or "" or "~" or "null" };

    private static EnvironmentConfig ReadEnvironment(YamlReader read, string name, YamlNode node)
    {
        if (!EnvironmentNames.IsValid(name))
        {
            throw read.Error(node, $"the environment name '{name}' is not valid; {EnvironmentNames.Rule}");
        }

        string? url = null;
        Tier? tier = null;
        var environment = new EnvironmentConfig { Name = name, Url = "", Tier = Tier.Production };
        var mapping = read.Mapping(node, $"environment '{name}'");
        YamlNode? schedule = null;
        foreach (var (key, value) in read.Entries(mapping, $"environment '{name}'", EnvironmentKeys))
        {
            switch (key)
            {
                case "url":
                    url = ReadUrl(read, value, key, $"the URL of environment '{name}'");
                    break;
                case "tier":
                    tier = read.Enum<Tier>(value, key);
                    break;
                case "timezone":
                    var zone = read.Scalar(value, key);
                    environment = environment with
                    {
                        TimeZone = TimeZoneInfo.TryFindSystemTimeZoneById(zone, out var info)
                            ? info
                            : throw read.Error(value, $"unknown time zone '{zone}'; use an IANA name such as Europe/Berlin or UTC"),
                    };
                    break;
                case "lock_timeout":
                    environment = environment with { LockTimeout = read.Duration(value, key, Durations.MaxServerTimeout) };
                    break;
                case "statement_timeout":
                    environment = environment with { StatementTimeout = read.Duration(value, key, Durations.MaxServerTimeout) };
                    break;
                case "retention":
                    environment = environment with { Retention = read.Duration(value, key) };
                    break;
                case "identity":
                    environment = environment with { Identity = ReadIdentity(read, value) };
                    break;
                case "backup":
                    environment = environment with { Backup = ReadBackup(read, value) };
                    break;
                case "pitr":
                    environment = environment with { Pitr = ReadPitr(read, value) };
                    break;
                case "review":
                    environment = environment with { Review = ReviewSettingsReader.Read(read, value, name) };
                    break;
                case "schedule":
                    schedule = value;
                    break;
                case "snapshot":
                    environment = environment with { Snapshot = IsEmpty(value) ? Snapshots.SnapshotSettings.Empty : Snapshots.Rules.SnapshotSettingsReader.Read(read, value, name) };
                    break;
            }
        }

        if (schedule is not null && !IsEmpty(schedule))
        {
            // Read last: its default zone is the environment's timezone, and the PITR kinds need the pitr: section.
            environment = environment with { Schedules = ScheduleReader.Read(read, schedule, name, environment.TimeZone) };
            if (environment.Pitr is null && environment.Schedules.FirstOrDefault(s => Schedules.ScheduleKinds.NeedsPitr(s.Kind)) is { } pitr)
            {
                throw read.Error(schedule, $"schedule.{pitr.Name} of environment '{name}' needs point-in-time recovery, which is not set up for it; run `backstop pitr enable -e {name} --pgdata PATH` first, or remove the line");
            }
        }

        return environment with
        {
            Url = url ?? throw read.Error(node, $"environment '{name}' has no 'url'"),
            Tier = tier ?? throw read.Error(node, $"environment '{name}' has no 'tier' (production, staging or development)"),
        };
    }

    /// <summary>
    /// A literal URL is checked now, so that its mistakes are reported at its line; <c>env:VAR</c> is read when used.
    /// A password written into the file is refused as <c>env add</c> refuses it: the file is shared and reviewed.
    /// </summary>
    /// <param name="what">names the URL in messages: "the URL of environment 'prod'".</param>
    private static string ReadUrl(YamlReader read, YamlNode value, string key, string what)
    {
        var url = read.Scalar(value, key);
        if (url.StartsWith(EnvironmentConnector.VariablePrefix, StringComparison.Ordinal) || url.StartsWith(EnvironmentConnector.FilePrefix, StringComparison.Ordinal))
        {
            return url;
        }

        PgUrl parsed;
        try
        {
            parsed = PgUrl.Parse(url);
        }
        catch (FormatException e)
        {
            throw read.Error(value, $"{what} is not valid: {e.Message}");
        }

        return parsed.HasPassword
            ? throw read.Error(value,
                $"{what} contains a password, and Backstop never keeps passwords in backstop.yaml; " +
                $"remove it and keep it in ~/.pgpass, or put the whole URL in an environment variable or a file only the server may read and write {key}: env:VARNAME or {key}: file:/PATH")
            : url;
    }

    private static BackupSettings ReadBackup(YamlReader read, YamlNode node)
    {
        var settings = BackupSettings.Default;
        foreach (var (key, value) in read.Entries(read.Mapping(node, "backup"), "backup", BackupKeys))
        {
            settings = key switch
            {
                "repository" => settings with { Repository = read.Scalar(value, key) },
                "jobs" => settings with { Jobs = (int)Math.Min(read.Long(value, key, 1), 64) },
                "compression" => settings with { Compression = ReadCompression(read, value) },
                "keep" => settings with { Keep = (int)Math.Min(read.Long(value, key, 1), int.MaxValue) },
                "max_age" => settings with { MaxAge = read.Duration(value, key) },
                _ => settings with { ProvenWithin = read.Duration(value, key) },
            };
        }

        return settings;
    }

    private static int ReadCompression(YamlReader read, YamlNode value)
    {
        var level = read.Long(value, "compression", 0);
        return level <= 9 ? (int)level : throw read.Error(value, $"'compression' is {level}; use 0 (none) to 9 (smallest)");
    }

    private static PitrSettings ReadPitr(YamlReader read, YamlNode node)
    {
        var values = read.Entries(read.Mapping(node, "pitr"), "pitr", PitrKeys).ToDictionary(e => e.Key, e => read.Scalar(e.Value, e.Key), StringComparer.Ordinal);
        return new PitrSettings
        {
            DataDirectory = values.GetValueOrDefault("pgdata") ?? throw read.Error(node, "pitr has no 'pgdata' (the cluster's data directory); `backstop pitr enable -e ENV --pgdata PATH` writes it"),
            Repository = values.GetValueOrDefault("repository"),
            Stanza = values.GetValueOrDefault("stanza"),
        };
    }

    private static ServerIdentity ReadIdentity(YamlReader read, YamlNode node)
    {
        var values = read.Entries(read.Mapping(node, "identity"), "identity", IdentityKeys).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        foreach (var key in RequiredIdentityKeys)
        {
            if (!values.ContainsKey(key))
            {
                throw read.Error(node, $"identity has no '{key}'; run `backstop env verify NAME --accept` to record it again");
            }
        }

        return new ServerIdentity(
            read.Scalar(values["system_identifier"], "system_identifier"),
            read.Scalar(values["database"], "database"),
            read.Scalar(values["host"], "host"),
            (int)read.Long(values["port"], "port", 1),
            values.TryGetValue("database_oid", out var oid) ? ReadOid(read, oid) : null);
    }

    private static uint ReadOid(YamlReader read, YamlNode node)
    {
        var value = read.Long(node, "database_oid", 1);
        return value <= uint.MaxValue ? (uint)value : throw read.Error(node, $"'database_oid' is {value}, above the largest OID ({uint.MaxValue}); run `backstop env verify NAME --accept` to record it again");
    }
}
