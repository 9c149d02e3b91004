namespace Backstop.Core.Snapshots.Masking;

/// <summary>A masker from a function; nulls pass through unchanged unless the rule sets a constant.</summary>
internal sealed class FunctionMasker(Func<object, object?> mask, bool maskNulls = false, object? nullResult = null) : IValueMasker
{
    public object? Mask(object? value) =>
        value is null or DBNull ? (maskNulls ? nullResult : value) : mask(value);
}

/// <summary>Wraps the masker of a unique column so that a repeated output fails the run (<see cref="UniqueOutputGuard"/>).</summary>
internal sealed class UniqueMasker(IValueMasker inner, UniqueOutputGuard guard) : IValueMasker
{
    public object? Mask(object? value)
    {
        var masked = inner.Mask(value);
        guard.Add(masked);
        return masked;
    }
}
