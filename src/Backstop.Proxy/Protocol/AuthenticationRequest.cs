namespace Backstop.Proxy.Protocol;

/// <summary>The Int32 that follows the length of an 'R' message and says which AuthenticationXxx it is ("Message Formats").</summary>
internal enum AuthenticationRequest
{
    Ok = 0,
    CleartextPassword = 3,
    Md5Password = 5,
    Sasl = 10,
    SaslContinue = 11,
    SaslFinal = 12,
}
