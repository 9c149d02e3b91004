namespace Backstop.Core.Snapshots.Masking;

/// <summary>A masker from a function; nulls pass through unchanged unless the rule sets a constant.</summary>
internal sealed class FunctionMasker(Func<object, object?> mask, bool maskNulls = false, object? nullResult = null) : IValueMasker
{
    public object? Mask(object? value) =>
        value is null or DBNull ? (maskNulls ? nullResult : value) : mask(value);
}
