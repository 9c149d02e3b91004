namespace Backstop.Core.Environments;

/// <summary>The environment's URL now reaches a different server or database than the one recorded (exit 2).</summary>
public sealed class TargetMismatchException(string message) : Exception(message);
