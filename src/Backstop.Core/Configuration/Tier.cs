namespace Backstop.Core.Configuration;

public enum Tier
{
    Development,
    Staging,
    Production,
}
