namespace Backstop.Core.Snapshots.Masking;

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
