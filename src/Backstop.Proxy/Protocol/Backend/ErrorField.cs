namespace Backstop.Proxy.Protocol.Backend;

/// <summary>The field type codes of ErrorResponse and NoticeResponse ("Error and Notice Message Fields").</summary>
internal enum ErrorField : byte
{
    /// <summary>S: ERROR, FATAL or PANIC (in an error), WARNING, NOTICE, DEBUG, INFO or LOG (in a notice); may be localized.</summary>
    Severity = (byte)'S',

    /// <summary>V: the same as S, never localized (PostgreSQL 9.6 and later).</summary>
    SeverityNonLocalized = (byte)'V',

    /// <summary>C: the SQLSTATE code for the error. Always present.</summary>
    Code = (byte)'C',

    /// <summary>M: the primary human-readable error message. Always present.</summary>
    Message = (byte)'M',

    /// <summary>D: an optional secondary error message carrying more detail about the problem.</summary>
    Detail = (byte)'D',

    /// <summary>H: an optional suggestion what to do about the problem.</summary>
    Hint = (byte)'H',

    /// <summary>P: an error cursor position as an index into the original query string, in characters, from 1.</summary>
    Position = (byte)'P',

    /// <summary>p: as P, but for an internally generated command (the text is in q).</summary>
    InternalPosition = (byte)'p',

    /// <summary>q: the text of a failed internally-generated command.</summary>
    InternalQuery = (byte)'q',

    /// <summary>W: the context in which the error occurred (a call stack traceback).</summary>
    Where = (byte)'W',

    SchemaName = (byte)'s',
    TableName = (byte)'t',
    ColumnName = (byte)'c',
    DataTypeName = (byte)'d',
    ConstraintName = (byte)'n',

    /// <summary>F: the file name of the source-code location where the error was reported.</summary>
    File = (byte)'F',

    /// <summary>L: the line number of that source-code location.</summary>
    Line = (byte)'L',

    /// <summary>R: the name of the source-code routine reporting the error.</summary>
    Routine = (byte)'R',
}
