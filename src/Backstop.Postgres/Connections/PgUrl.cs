using System.Globalization;
using Npgsql;

namespace Backstop.Postgres.Connections;

/// <summary>
/// A PostgreSQL connection URL (<c>postgresql://user:password@host:port/database?param=value</c>), as libpq
/// accepts it (docs: "libpq → Connection URIs"). The password never leaves this type except into a
/// connection string: <see cref="ToString"/> masks it.
/// </summary>
public sealed class PgUrl
{
    private static readonly Dictionary<string, string> ParameterMap = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sslmode"] = "SSL Mode",
        ["application_name"] = "Application Name",
        ["connect_timeout"] = "Timeout",
        ["host"] = "Host",
        ["port"] = "Port",
        ["user"] = "Username",
        ["dbname"] = "Database",
        ["target_session_attrs"] = "Target Session Attributes",
        ["options"] = "Options",
        ["sslrootcert"] = "Root Certificate",
        ["sslcert"] = "SSL Certificate",
        ["sslkey"] = "SSL Key",
    };

    /// <summary>What Npgsql accepts, for the parameters whose values it checks (docs: Npgsql "Connection String Parameters").</summary>
    private static readonly Dictionary<string, string> AcceptedValues = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sslmode"] = "disable, allow, prefer, require, verify-ca or verify-full",
        ["connect_timeout"] = "a number of seconds from 0 to 1024",
        ["target_session_attrs"] = "any, read-write, read-only, primary, standby or prefer-standby",
    };

    private readonly string? _password;
    private readonly IReadOnlyDictionary<string, string> _parameters;

    private PgUrl(string host, int port, string database, string? user, string? password, IReadOnlyDictionary<string, string> parameters)
    {
        Host = host;
        Port = port;
        Database = database;
        User = user;
        _password = password;
        _parameters = parameters;
    }

    public string Host { get; }

    public int Port { get; }

    public string Database { get; }

    public string? User { get; }

    public bool HasPassword => _password is not null;

    /// <exception cref="FormatException">the text is not a PostgreSQL URL; the message never contains the password.</exception>
    public static PgUrl Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        var schemeEnd = trimmed.IndexOf("://", StringComparison.Ordinal);
        var scheme = schemeEnd < 0 ? "" : trimmed[..schemeEnd];
        if (!scheme.Equals("postgresql", StringComparison.OrdinalIgnoreCase) && !scheme.Equals("postgres", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException("a connection URL must start with postgresql:// (for example postgresql://app@db.example.com:5432/app)");
        }

        var rest = trimmed[(schemeEnd + 3)..];

        // The user information is taken first and ends at the last '@' before the query (a '?' after the first '@'):
        // a password may hold unencoded '/', '?' or '@' (and is then never mistaken for the path or the query, nor shown
        // in an error about them), and a query value may hold an '@'.
        string? user = null;
        string? password = null;
        var firstAt = rest.IndexOf('@', StringComparison.Ordinal);
        var queryAfterUser = firstAt < 0 ? -1 : rest.IndexOf('?', firstAt);
        var at = firstAt < 0 ? -1 : (queryAfterUser < 0 ? rest : rest[..queryAfterUser]).LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = rest[..at];
            rest = rest[(at + 1)..];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            user = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
            password = colon < 0 ? null : Uri.UnescapeDataString(userInfo[(colon + 1)..]);
        }

        var query = "";
        var q = rest.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash < 0 ? rest : rest[..slash];
        var database = slash < 0 ? "" : Uri.UnescapeDataString(rest[(slash + 1)..]);

        var host = authority;
        var port = 5432;
        var portSeparator = authority.StartsWith('[') ? authority.IndexOf("]:", StringComparison.Ordinal) + 1 : authority.LastIndexOf(':');
        if (portSeparator > 0)
        {
            host = authority[..portSeparator];
            var portText = authority[(portSeparator + 1)..];
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            {
                throw new FormatException($"the port '{portText}' in the connection URL is not a number between 1 and 65535");
            }
        }

        host = Uri.UnescapeDataString(host.Trim('[', ']'));
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            if (key.Equals("password", StringComparison.OrdinalIgnoreCase))
            {
                password = value;
                continue;
            }

            if (!ParameterMap.ContainsKey(key))
            {
                throw new FormatException($"the connection URL parameter '{key}' is not supported; supported: {string.Join(", ", ParameterMap.Keys.Order(StringComparer.Ordinal))}");
            }

            parameters[key] = value;
        }

        if (parameters.Remove("host", out var hostParameter))
        {
            host = hostParameter;
        }

        if (parameters.Remove("dbname", out var dbParameter))
        {
            database = dbParameter;
        }

        if (parameters.Remove("user", out var userParameter))
        {
            user = userParameter;
        }

        if (parameters.Remove("port", out var portParameter) && (!int.TryParse(portParameter, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            throw new FormatException($"the port '{portParameter}' in the connection URL is not a number between 1 and 65535");
        }

        if (host.Length == 0)
        {
            host = "localhost";
        }

        CheckValues(parameters);

        if (database.Length == 0)
        {
            database = user ?? "postgres";
        }

        return new PgUrl(host, port, database, user, password, parameters);
    }

    /// <summary>Npgsql checks a parameter's value only when a connection string is built: check them now, while the URL is being read.</summary>
    private static void CheckValues(Dictionary<string, string> parameters)
    {
        var builder = new NpgsqlConnectionStringBuilder();
        foreach (var (key, value) in parameters)
        {
            try
            {
                builder[ParameterMap[key]] = NpgsqlValue(key, value);
            }
            catch (ArgumentException)
            {
                var accepted = AcceptedValues.TryGetValue(key, out var values) ? $"; use {values}" : "";
                throw new FormatException($"the connection URL parameter {key}={value} is not accepted by Npgsql{accepted}");
            }
        }
    }

    /// <summary>libpq writes sslmode=verify-full where Npgsql's enum says VerifyFull.</summary>
    private static string NpgsqlValue(string key, string value) =>
        key.Equals("sslmode", StringComparison.OrdinalIgnoreCase) ? value.Replace("-", "", StringComparison.Ordinal) : value;

    public string ToConnectionString(string applicationName = "backstop")
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Database = Database,
            ApplicationName = applicationName,

            // One command, one connection: a pool would only keep sockets to servers that may be gone or replaced.
            Pooling = false,
        };
        if (User is not null)
        {
            builder.Username = User;
        }

        if (_password is not null)
        {
            builder.Password = _password;
        }

        foreach (var (key, value) in _parameters)
        {
            builder[ParameterMap[key]] = NpgsqlValue(key, value);
        }

        return builder.ConnectionString;
    }

    private static readonly Dictionary<string, string> LibpqVariables = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sslmode"] = "PGSSLMODE",
        ["application_name"] = "PGAPPNAME",
        ["connect_timeout"] = "PGCONNECT_TIMEOUT",
        ["target_session_attrs"] = "PGTARGETSESSIONATTRS",
        ["options"] = "PGOPTIONS",
        ["sslrootcert"] = "PGSSLROOTCERT",
        ["sslcert"] = "PGSSLCERT",
        ["sslkey"] = "PGSSLKEY",
    };

    /// <summary>
    /// The URL as libpq environment variables (docs: "libpq → Environment Variables"), for PostgreSQL's own programs
    /// (pg_dump, pg_restore, pg_amcheck, psql). The password goes in <c>PGPASSWORD</c> of the child process only,
    /// never on its command line, where any user of the machine could read it.
    /// </summary>
    public IReadOnlyDictionary<string, string> ToLibpqEnvironment()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PGHOST"] = Host,
            ["PGPORT"] = Port.ToString(CultureInfo.InvariantCulture),
            ["PGDATABASE"] = Database,
        };
        if (User is not null)
        {
            variables["PGUSER"] = User;
        }

        if (_password is not null)
        {
            variables["PGPASSWORD"] = _password;
        }

        foreach (var (key, value) in _parameters)
        {
            variables[LibpqVariables[key]] = value;
        }

        return variables;
    }

    /// <summary>The same server and credentials, another database.</summary>
    public PgUrl WithDatabase(string database) => new(Host, Port, database, User, _password, _parameters);

    /// <summary>The URL with the password replaced by <c>****</c>: safe to print and log.</summary>
    public override string ToString()
    {
        var userInfo = User is null ? "" : Uri.EscapeDataString(User) + (_password is null ? "" : ":****") + "@";
        var host = Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host.StartsWith('/') ? "" : Host;
        var query = string.Join("&", _parameters.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
        if (Host.StartsWith('/'))
        {
            query = $"host={Uri.EscapeDataString(Host)}" + (query.Length > 0 ? "&" + query : "");
        }

        return $"postgresql://{userInfo}{host}:{Port.ToString(CultureInfo.InvariantCulture)}/{Uri.EscapeDataString(Database)}" + (query.Length > 0 ? "?" + query : "");
    }

    /// <summary>Where the server is, for messages: <c>host:port</c>.</summary>
    public string Endpoint => Host.StartsWith('/') ? $"{Host} (socket) port {Port}" : $"{Host}:{Port}";
}
