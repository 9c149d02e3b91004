// pgjdbc (the driver DBeaver uses) driven by steps on standard input, for the proxy's real-client tests
// (test/Shared/Clients/JdbcClient.cs). No dependency but the driver's jar:
//
//   javac -cp /usr/share/java/postgresql.jar -d OUT BackstopJdbcClient.java
//   PGPASSWORD=... java -cp OUT:/usr/share/java/postgresql.jar BackstopJdbcClient JDBC_URL USER [PASSWORD]
//
// The password comes from PGPASSWORD (preferred: it stays off the command line) or the third argument. The program
// prints {"connected":true} or {"connected":false,...error fields} (and exits 1), then reads one JSON object per line
// and prints one JSON line per step, in order, until standard input ends:
//
//   {"op":"query","sql":"...","params":[...]}    executeQuery: {"ok":true,"columns":[...],"rows":[[...]]}
//   {"op":"update","sql":"...","params":[...]}   executeUpdate: {"ok":true,"updateCount":N}
//   {"op":"execute","sql":"...","params":[...]}  execute: columns and rows if it gave a result set, else updateCount
//   {"op":"begin"}                               setAutoCommit(false)
//   {"op":"commit"} / {"op":"rollback"}          commit() / rollback()
//   {"op":"autocommit"}                          setAutoCommit(true)
//   {"op":"cancel_after_ms","sql":"...","ms":N}  execute, with Statement.cancel() from another thread after N ms
//
// Parameters (JSON integers bound with setInt or setLong, other numbers with setBigDecimal, strings with setString,
// booleans with setBoolean, null with setNull) make the statement a PreparedStatement; without "params" it is a plain
// Statement. Values in rows are getString(), null as null. A step that fails with an SQLException prints
// {"ok":false,"sqlstate":"...","message":"...","detail":"...","hint":"..."} and the next step runs on the same
// connection. Warnings (the server's notices) come as "notices":[...] when there are any. A step the program cannot
// understand prints {"ok":false,"harnessError":"..."}.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

public final class BackstopJdbcClient {
    private static final PrintStream OUT = new PrintStream(System.out, false, StandardCharsets.UTF_8);

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: BackstopJdbcClient JDBC_URL USER [PASSWORD]   (PGPASSWORD preferred)");
            System.exit(2);
        }
        Properties properties = new Properties();
        properties.setProperty("user", args[1]);
        String password = System.getenv("PGPASSWORD");
        if (password == null && args.length > 2) {
            password = args[2];
        }
        if (password != null) {
            properties.setProperty("password", password);
        }

        Connection connection;
        try {
            connection = DriverManager.getConnection(args[0], properties);
        } catch (SQLException e) {
            StringBuilder line = new StringBuilder("{\"connected\":false");
            appendError(line, e);
            emit(line.append('}'));
            System.exit(1);
            return;
        }
        emit(new StringBuilder("{\"connected\":true}"));

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String text;
        while ((text = in.readLine()) != null) {
            if (text.isBlank()) {
                continue;
            }
            emit(runStep(connection, text));
        }
        try {
            connection.close();
        } catch (SQLException e) {
            // Closing a connection the server already dropped is not this program's failure.
        }
    }

    private static StringBuilder runStep(Connection connection, String text) {
        Map<String, Object> step;
        String op;
        try {
            Object parsed = new Json(text).parseDocument();
            if (!(parsed instanceof Map)) {
                throw new IllegalArgumentException("a step is a JSON object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> map = (Map<String, Object>) parsed;
            step = map;
            op = (String) step.get("op");
        } catch (RuntimeException e) {
            return harnessError("bad step " + text + ": " + e.getMessage());
        }
        try {
            switch (op == null ? "" : op) {
                case "query":
                    return query(connection, sql(step), params(step));
                case "update":
                    return update(connection, sql(step), params(step));
                case "execute":
                    return execute(connection, sql(step), params(step));
                case "begin":
                    connection.setAutoCommit(false);
                    return ok(connection.getWarnings(), connection);
                case "commit":
                    connection.commit();
                    return ok(connection.getWarnings(), connection);
                case "rollback":
                    connection.rollback();
                    return ok(connection.getWarnings(), connection);
                case "autocommit":
                    connection.setAutoCommit(true);
                    return ok(connection.getWarnings(), connection);
                case "cancel_after_ms":
                    return cancelAfter(connection, sql(step), ms(step));
                default:
                    return harnessError("unknown op " + Json.quote(String.valueOf(op)));
            }
        } catch (SQLException e) {
            StringBuilder line = new StringBuilder("{\"ok\":false");
            appendError(line, e);
            return line.append('}');
        } catch (RuntimeException e) {
            e.printStackTrace();
            return harnessError(e.toString());
        }
    }

    private static StringBuilder query(Connection connection, String sql, List<Object> params) throws SQLException {
        try (Statement statement = prepare(connection, sql, params)) {
            ResultSet resultSet = statement instanceof PreparedStatement prepared ? prepared.executeQuery() : statement.executeQuery(sql);
            StringBuilder line = new StringBuilder("{\"ok\":true");
            appendResultSet(line, resultSet);
            appendNotices(line, statement.getWarnings());
            return line.append('}');
        }
    }

    private static StringBuilder update(Connection connection, String sql, List<Object> params) throws SQLException {
        try (Statement statement = prepare(connection, sql, params)) {
            long count = statement instanceof PreparedStatement prepared ? prepared.executeLargeUpdate() : statement.executeLargeUpdate(sql);
            StringBuilder line = new StringBuilder("{\"ok\":true,\"updateCount\":").append(count);
            appendNotices(line, statement.getWarnings());
            return line.append('}');
        }
    }

    private static StringBuilder execute(Connection connection, String sql, List<Object> params) throws SQLException {
        try (Statement statement = prepare(connection, sql, params)) {
            boolean hasResultSet = statement instanceof PreparedStatement prepared ? prepared.execute() : statement.execute(sql);
            return executed(statement, hasResultSet);
        }
    }

    private static StringBuilder cancelAfter(Connection connection, String sql, long ms) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            Thread canceller = new Thread(() -> {
                try {
                    Thread.sleep(ms);
                    statement.cancel();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (SQLException e) {
                    System.err.println("cancel failed: " + e);
                }
            }, "canceller");
            canceller.setDaemon(true);
            canceller.start();
            try {
                return executed(statement, statement.execute(sql));
            } finally {
                canceller.interrupt();
                try {
                    canceller.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static StringBuilder executed(Statement statement, boolean hasResultSet) throws SQLException {
        StringBuilder line = new StringBuilder("{\"ok\":true");
        if (hasResultSet) {
            appendResultSet(line, statement.getResultSet());
        } else {
            line.append(",\"updateCount\":").append(statement.getLargeUpdateCount());
        }
        appendNotices(line, statement.getWarnings());
        return line.append('}');
    }

    private static Statement prepare(Connection connection, String sql, List<Object> params) throws SQLException {
        if (params == null) {
            return connection.createStatement();
        }
        PreparedStatement prepared = connection.prepareStatement(sql);
        try {
            for (int i = 0; i < params.size(); i++) {
                Object value = params.get(i);
                int index = i + 1;
                if (value == null) {
                    prepared.setNull(index, Types.NULL);
                } else if (value instanceof Long number) {
                    if (number >= Integer.MIN_VALUE && number <= Integer.MAX_VALUE) {
                        prepared.setInt(index, number.intValue());
                    } else {
                        prepared.setLong(index, number);
                    }
                } else if (value instanceof BigDecimal number) {
                    prepared.setBigDecimal(index, number);
                } else if (value instanceof String string) {
                    prepared.setString(index, string);
                } else if (value instanceof Boolean bool) {
                    prepared.setBoolean(index, bool);
                } else {
                    throw new IllegalArgumentException("parameter " + index + " is neither a number, a string, a boolean nor null");
                }
            }
            return prepared;
        } catch (SQLException | RuntimeException e) {
            prepared.close();
            throw e;
        }
    }

    private static void appendResultSet(StringBuilder line, ResultSet resultSet) throws SQLException {
        ResultSetMetaData metaData = resultSet.getMetaData();
        int count = metaData.getColumnCount();
        line.append(",\"columns\":[");
        for (int i = 1; i <= count; i++) {
            line.append(i > 1 ? "," : "").append(Json.quote(metaData.getColumnLabel(i)));
        }
        line.append("],\"rows\":[");
        boolean firstRow = true;
        while (resultSet.next()) {
            line.append(firstRow ? "[" : ",[");
            firstRow = false;
            for (int i = 1; i <= count; i++) {
                String value = resultSet.getString(i);
                line.append(i > 1 ? "," : "").append(value == null ? "null" : Json.quote(value));
            }
            line.append(']');
        }
        line.append(']');
        resultSet.close();
    }

    private static StringBuilder ok(SQLWarning warnings, Connection connection) throws SQLException {
        StringBuilder line = new StringBuilder("{\"ok\":true");
        appendNotices(line, warnings);
        connection.clearWarnings();
        return line.append('}');
    }

    private static void appendNotices(StringBuilder line, SQLWarning warning) {
        if (warning == null) {
            return;
        }
        line.append(",\"notices\":[");
        for (boolean first = true; warning != null; warning = warning.getNextWarning(), first = false) {
            line.append(first ? "" : ",").append(Json.quote(warning.getMessage()));
        }
        line.append(']');
    }

    private static void appendError(StringBuilder line, SQLException e) {
        line.append(",\"sqlstate\":").append(e.getSQLState() == null ? "null" : Json.quote(e.getSQLState()));
        String message = e.getMessage();
        String detail = null;
        String hint = null;
        if (e instanceof PSQLException psql && psql.getServerErrorMessage() != null) {
            ServerErrorMessage server = psql.getServerErrorMessage();
            // The server's own message, without the " Detail: ..." and " Hint: ..." that getMessage() appends.
            if (server.getMessage() != null) {
                message = server.getMessage();
            }
            detail = server.getDetail();
            hint = server.getHint();
        }
        line.append(",\"message\":").append(message == null ? "null" : Json.quote(message));
        line.append(",\"detail\":").append(detail == null ? "null" : Json.quote(detail));
        line.append(",\"hint\":").append(hint == null ? "null" : Json.quote(hint));
    }

    private static StringBuilder harnessError(String what) {
        return new StringBuilder("{\"ok\":false,\"harnessError\":").append(Json.quote(what)).append('}');
    }

    private static String sql(Map<String, Object> step) {
        if (!(step.get("sql") instanceof String sql)) {
            throw new IllegalArgumentException("the step has no \"sql\" string");
        }
        return sql;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> params(Map<String, Object> step) {
        Object params = step.get("params");
        if (params != null && !(params instanceof List)) {
            throw new IllegalArgumentException("\"params\" is not an array");
        }
        return (List<Object>) params;
    }

    private static long ms(Map<String, Object> step) {
        if (!(step.get("ms") instanceof Long ms) || ms < 0) {
            throw new IllegalArgumentException("the step has no \"ms\" (a whole number of milliseconds, 0 or more)");
        }
        return ms;
    }

    private static void emit(CharSequence line) {
        OUT.print(line);
        OUT.print('\n');
        OUT.flush();
    }

    /** Just enough JSON: objects, arrays, strings, numbers (whole ones as Long), true, false and null. */
    private static final class Json {
        private final String text;
        private int position;

        Json(String text) {
            this.text = text;
        }

        Object parseDocument() {
            Object value = parseValue();
            skipWhitespace();
            if (position != text.length()) {
                throw error("text after the value");
            }
            return value;
        }

        private Object parseValue() {
            skipWhitespace();
            if (position >= text.length()) {
                throw error("the line ends where a value should be");
            }
            char c = text.charAt(position);
            switch (c) {
                case '{':
                    return parseObject();
                case '[':
                    return parseArray();
                case '"':
                    return parseString();
                case 't':
                    return literal("true", Boolean.TRUE);
                case 'f':
                    return literal("false", Boolean.FALSE);
                case 'n':
                    return literal("null", null);
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        return parseNumber();
                    }
                    throw error("unexpected '" + c + "'");
            }
        }

        private Map<String, Object> parseObject() {
            Map<String, Object> map = new LinkedHashMap<>();
            position++;
            skipWhitespace();
            if (peek() == '}') {
                position++;
                return map;
            }
            while (true) {
                skipWhitespace();
                if (peek() != '"') {
                    throw error("a key should be a string");
                }
                String key = parseString();
                skipWhitespace();
                expect(':');
                map.put(key, parseValue());
                skipWhitespace();
                if (peek() == ',') {
                    position++;
                } else {
                    expect('}');
                    return map;
                }
            }
        }

        private List<Object> parseArray() {
            List<Object> list = new ArrayList<>();
            position++;
            skipWhitespace();
            if (peek() == ']') {
                position++;
                return list;
            }
            while (true) {
                list.add(parseValue());
                skipWhitespace();
                if (peek() == ',') {
                    position++;
                } else {
                    expect(']');
                    return list;
                }
            }
        }

        private String parseString() {
            position++;
            StringBuilder builder = new StringBuilder();
            while (true) {
                if (position >= text.length()) {
                    throw error("unterminated string");
                }
                char c = text.charAt(position++);
                if (c == '"') {
                    return builder.toString();
                }
                if (c != '\\') {
                    builder.append(c);
                    continue;
                }
                if (position >= text.length()) {
                    throw error("unterminated escape");
                }
                char escaped = text.charAt(position++);
                switch (escaped) {
                    case '"', '\\', '/' -> builder.append(escaped);
                    case 'b' -> builder.append('\b');
                    case 'f' -> builder.append('\f');
                    case 'n' -> builder.append('\n');
                    case 'r' -> builder.append('\r');
                    case 't' -> builder.append('\t');
                    case 'u' -> {
                        if (position + 4 > text.length()) {
                            throw error("short \\u escape");
                        }
                        builder.append((char) Integer.parseInt(text.substring(position, position + 4), 16));
                        position += 4;
                    }
                    default -> throw error("unknown escape \\" + escaped);
                }
            }
        }

        private Object parseNumber() {
            int start = position;
            while (position < text.length() && "+-0123456789.eE".indexOf(text.charAt(position)) >= 0) {
                position++;
            }
            String number = text.substring(start, position);
            try {
                if (number.indexOf('.') < 0 && number.indexOf('e') < 0 && number.indexOf('E') < 0) {
                    return Long.parseLong(number);
                }
                return new BigDecimal(number);
            } catch (NumberFormatException e) {
                throw error("bad number " + number);
            }
        }

        private Object literal(String word, Object value) {
            if (!text.startsWith(word, position)) {
                throw error("unexpected text");
            }
            position += word.length();
            return value;
        }

        private void expect(char c) {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            position++;
        }

        private char peek() {
            return position < text.length() ? text.charAt(position) : '\0';
        }

        private void skipWhitespace() {
            while (position < text.length() && Character.isWhitespace(text.charAt(position))) {
                position++;
            }
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at character " + position);
        }

        static String quote(String value) {
            StringBuilder builder = new StringBuilder(value.length() + 2).append('"');
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                switch (c) {
                    case '"' -> builder.append("\\\"");
                    case '\\' -> builder.append("\\\\");
                    case '\n' -> builder.append("\\n");
                    case '\r' -> builder.append("\\r");
                    case '\t' -> builder.append("\\t");
                    default -> {
                        if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                            builder.append(String.format("\\u%04x", (int) c));
                        } else {
                            builder.append(c);
                        }
                    }
                }
            }
            return builder.append('"').toString();
        }
    }
}
