namespace Backstop.Proxy.Authentication;

/// <summary>The end of a SCRAM exchange: whether the proof held, and if so the server-final-message to send.</summary>
internal sealed record ScramOutcome(bool Authenticated, byte[]? ServerFinalMessage);
