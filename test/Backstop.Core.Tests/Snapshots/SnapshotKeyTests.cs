using Backstop.Core.Configuration;
using Backstop.Core.Snapshots.Masking;

namespace Backstop.Core.Tests.Snapshots;

public sealed class SnapshotKeyTests
{
    private const string Secret = "0123456789abcdef0123456789abcdef-and-more";

    [Fact]
    public void Read_from_a_variable_or_a_file_gives_the_same_key()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, Secret + "\n");

            var fromVariable = SnapshotKey.Read("prod", "env:SNAPSHOT_KEY", name => name == "SNAPSHOT_KEY" ? Secret : null);
            var fromFile = SnapshotKey.Read("prod", "file:" + file, _ => null);

            Assert.Equal(fromVariable, fromFile);
            Assert.Equal(Secret.Length, fromFile.Length);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData(null, "environment 'prod' has no snapshot.key")]
    [InlineData("env:MISSING", "the snapshot key of environment 'prod' is read from the variable MISSING, which is not set")]
    [InlineData("env:SHORT", "the snapshot key of environment 'prod' (env:SHORT) has 9 bytes; it needs 32 or more")]
    [InlineData("file:/nonexistent/snapshot.key", "the snapshot key of environment 'prod' is read from /nonexistent/snapshot.key, which cannot be read")]
    public void Read_missing_or_short_key_is_refused_naming_the_environment(string? reference, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => SnapshotKey.Read("prod", reference, name => name == "SHORT" ? "too short" : null));

        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }
}
