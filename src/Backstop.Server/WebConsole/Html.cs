using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace Backstop.Server.WebConsole;

/// <summary>
/// A fragment of HTML that is safe to put in a page: built only by <see cref="Of"/>, whose interpolation holes are
/// HTML-encoded unless they are fragments themselves. What people wrote (scripts, reasons, names) can reach a page only
/// through a hole, so it is always shown as text.
/// </summary>
internal readonly struct Html
{
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    private readonly string? _value;

    private Html(string value) => _value = value;

    public static Html Empty { get; } = new("");

    public static Html Of([InterpolatedStringHandlerArgument] ref Builder html) => new(html.Build());

    public static Html Join(IEnumerable<Html> parts) => new(string.Concat(parts.Select(p => p._value)));

    public static Html When(bool condition, Html html) => condition ? html : Empty;

    public static string Encode(string? text) => text is null ? "" : Encoder.Encode(text);

    public override string ToString() => _value ?? "";

    [InterpolatedStringHandler]
    public ref struct Builder
    {
        private readonly StringBuilder _text;

        public Builder(int literalLength, int formattedCount) => _text = new StringBuilder(literalLength + (formattedCount * 24));

        public readonly void AppendLiteral(string literal) => _text.Append(literal);

        public readonly void AppendFormatted(Html fragment) => _text.Append(fragment._value);

        public readonly void AppendFormatted(string? text) => _text.Append(Encode(text));

        public readonly void AppendFormatted(long number) => _text.Append(number.ToString("N0", CultureInfo.InvariantCulture));

        public readonly void AppendFormatted(int number) => _text.Append(number.ToString("N0", CultureInfo.InvariantCulture));

        public readonly void AppendFormatted<T>(T value)
            where T : struct, IFormattable => _text.Append(Encode(value.ToString(null, CultureInfo.InvariantCulture)));

        public readonly void AppendFormatted<T>(T value, string format)
            where T : struct, IFormattable => _text.Append(Encode(value.ToString(format, CultureInfo.InvariantCulture)));

        internal readonly string Build() => _text.ToString();
    }
}
