namespace Backstop.Sql.Classification;

/// <summary>Where a statement changes a setting that decides how later statements are read, and in what words.</summary>
/// <param name="Setting">the setting's name, lower case.</param>
/// <param name="Position">where the change is written.</param>
/// <param name="How">the form, for messages: "SET standard_conforming_strings", "SET NAMES", ….</param>
public sealed record LexicalSettingChange(string Setting, SourcePosition Position, string How);
