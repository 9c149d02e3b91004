using System.CommandLine;
using Backstop.Core.Changes;
using Backstop.Core.Configuration;

namespace Backstop.Cli.Commands;

/// <summary>Where a script comes from: <c>-f FILE</c>, <c>-c SQL</c>, or <c>-</c> for standard input; exactly one.</summary>
internal sealed class ScriptSource
{
    private readonly Option<string?> _file = new("--file", "-f") { Description = "Read the script from a file" };
    private readonly Option<string?> _command = new("--command", "-c") { Description = "The script itself, as text" };
    private readonly Argument<string?> _stdin = new("-") { Description = "Give - to read the script from standard input", Arity = ArgumentArity.ZeroOrOne };

    public void AddTo(Command command)
    {
        command.Add(_file);
        command.Add(_command);
        command.Add(_stdin);
    }

    public async Task<string> ReadAsync(ParseResult parse, CliHost host, CancellationToken cancellationToken)
    {
        var file = parse.GetValue(_file);
        var text = parse.GetValue(_command);
        var dash = parse.GetValue(_stdin);
        if (dash is not null && dash != "-")
        {
            throw new UsageException($"unexpected argument '{dash}'; give the script with -f FILE, -c SQL, or - for standard input");
        }

        var given = (file is null ? 0 : 1) + (text is null ? 0 : 1) + (dash is null ? 0 : 1);
        if (given != 1)
        {
            throw new UsageException("give the script exactly one way: -f FILE, -c SQL, or - to read standard input");
        }

        if (file is not null)
        {
            var path = Path.GetFullPath(file, host.WorkingDirectory);
            return File.Exists(path)
                ? ScriptText.Decode(await File.ReadAllBytesAsync(path, cancellationToken), $"the script file {path}")
                : throw new UsageException($"the script file {path} does not exist");
        }

        if (text is not null)
        {
            return text;
        }

        if (host.StandardInput is { } bytes)
        {
            using var buffer = new MemoryStream();
            await bytes.CopyToAsync(buffer, cancellationToken);
            return ScriptText.Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), "the script on standard input");
        }

        return await host.In.ReadToEndAsync(cancellationToken);
    }
}
