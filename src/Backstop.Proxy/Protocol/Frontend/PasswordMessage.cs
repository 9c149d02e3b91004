using System.Buffers;

namespace Backstop.Proxy.Protocol.Frontend;

/// <summary>PasswordMessage (F), "Message Formats": a password in answer to AuthenticationCleartextPassword or MD5Password.</summary>
internal sealed record PasswordMessage(string Password) : FrontendMessage
{
    public static PasswordMessage Read(ReadOnlySequence<byte> payload)
    {
        var reader = new PayloadReader(payload, "PasswordMessage");
        // String: the password (encrypted, if requested).
        var password = reader.ReadCString("password");
        reader.ExpectEnd();
        return new PasswordMessage(password);
    }

    public override void WriteTo(ProtocolWriter writer)
    {
        writer.StartMessage((byte)FrontendMessageCode.PasswordMessage);
        writer.WriteCString(Password);
        writer.FinishMessage();
    }

    /// <summary>Never the password itself, so that a logged message cannot leak it.</summary>
    public override string ToString() => "PasswordMessage { Password = *** }";
}
