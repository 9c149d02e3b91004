'use strict'
// node-postgres driven by steps on standard input, for the proxy's real-client tests (test/Shared/Clients/NodeClient.cs).
// The same step protocol as test/clients/jdbc/BackstopJdbcClient.java:
//
//   PGPASSWORD=... node client.js HOST PORT DATABASE USER [require-tls]
//
// prints {"connected":true} or {"connected":false,...error fields} (and exits 1), then reads one JSON object per line
// and prints one JSON line per step, in order, until standard input ends:
//
//   {"op":"query","sql":"...","params":[...]}    {"ok":true,"columns":[...],"rows":[[...]]}
//   {"op":"update","sql":"...","params":[...]}   {"ok":true,"updateCount":N} (node-postgres's rowCount, 0 for none)
//   {"op":"execute","sql":"...","params":[...]}  columns and rows if the statement gave rows, else updateCount
//   {"op":"begin"} / {"op":"commit"} / {"op":"rollback"}   BEGIN / COMMIT / ROLLBACK as SQL
//   {"op":"autocommit"}                          nothing to do: node-postgres has no autocommit switch, and outside
//                                                BEGIN every statement commits by itself
//   {"op":"cancel_after_ms","sql":"...","ms":N}  the query, with a CancelRequest (Client.cancel) after N ms
//
// With "params" a query goes through the extended protocol (Parse/Bind/Execute); without, the simple one (Query).
// Values in rows are the server's text, null as null (no type parsing). A failure prints
// {"ok":false,"sqlstate":err.code,"message":err.message,"detail":err.detail,"hint":err.hint} and the next step runs on
// the same connection. The server's notices come as "notices":[...] when there are any. A step the program cannot
// understand prints {"ok":false,"harnessError":"..."}.
//
// "require-tls" asks for TLS without checking the server's certificate (ssl: { rejectUnauthorized: false }).

const readline = require('node:readline')
const { Client, DatabaseError, Query } = require('pg')

const [host, port, database, user, tls] = process.argv.slice(2)
if (!host || !port || !database || !user || (tls !== undefined && tls !== 'require-tls')) {
  process.stderr.write('usage: PGPASSWORD=... node client.js HOST PORT DATABASE USER [require-tls]\n')
  process.exit(2)
}

const config = {
  host,
  port: Number(port),
  database,
  user,
  password: process.env.PGPASSWORD,
  ssl: tls === 'require-tls' ? { rejectUnauthorized: false } : false,
  connectionTimeoutMillis: 30000,
}
// Every value as the server's text, as pgjdbc's getString() gives it, so the two harnesses answer alike.
const rawText = { getTypeParser: () => (value) => value }

let notices = []

function emit(object) {
  process.stdout.write(JSON.stringify(object) + '\n')
}

function failure(err) {
  return {
    ok: false,
    // err.code is the SQLSTATE of the server's errors; a socket error's code (ECONNREFUSED) is no SQLSTATE.
    sqlstate: err instanceof DatabaseError ? err.code ?? null : null,
    message: err.message ?? String(err),
    detail: err.detail ?? null,
    hint: err.hint ?? null,
  }
}

function success(op, result) {
  const line = { ok: true }
  // A simple-protocol string of several statements answers with one result each: report the last.
  const last = Array.isArray(result) ? result[result.length - 1] : result
  const hasRows = last.fields && last.fields.length > 0
  if (op === 'query' || (op !== 'update' && hasRows)) {
    line.columns = (last.fields ?? []).map((field) => field.name)
    line.rows = last.rows
  } else {
    // pgjdbc counts 0 for a command without a count (CREATE TABLE), node-postgres null.
    line.updateCount = last.rowCount ?? 0
  }
  return line
}

function query(client, step) {
  const config = { text: step.sql, rowMode: 'array', types: rawText }
  if (step.params !== undefined) {
    config.values = step.params
  }
  return client.query(config)
}

function cancelAfter(client, step) {
  return new Promise((resolve, reject) => {
    const running = client.query(new Query({ text: step.sql, rowMode: 'array', types: rawText }))
    const timer = setTimeout(() => new Client(config).cancel(client, running), step.ms)
    running.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    running.on('end', (result) => {
      clearTimeout(timer)
      resolve(result)
    })
  })
}

async function run(client, step) {
  switch (step.op) {
    case 'query':
    case 'update':
    case 'execute':
      requireSql(step)
      return success(step.op, await query(client, step))
    case 'begin':
      await client.query('BEGIN')
      return { ok: true }
    case 'commit':
      await client.query('COMMIT')
      return { ok: true }
    case 'rollback':
      await client.query('ROLLBACK')
      return { ok: true }
    case 'autocommit':
      return { ok: true }
    case 'cancel_after_ms':
      requireSql(step)
      if (!Number.isInteger(step.ms) || step.ms < 0) {
        throw new HarnessError('the step has no "ms" (a whole number of milliseconds, 0 or more)')
      }
      return success('execute', await cancelAfter(client, step))
    default:
      throw new HarnessError(`unknown op ${JSON.stringify(step.op)}`)
  }
}

class HarnessError extends Error {}

function requireSql(step) {
  if (typeof step.sql !== 'string') {
    throw new HarnessError('the step has no "sql" string')
  }
  if (step.params !== undefined && !Array.isArray(step.params)) {
    throw new HarnessError('"params" is not an array')
  }
}

async function main() {
  const client = new Client(config)
  client.on('notice', (notice) => notices.push(notice.message))
  // A connection the server drops must not end the program: the steps after it report their own errors.
  client.on('error', (err) => process.stderr.write(`connection error: ${err.message}\n`))
  try {
    await client.connect()
  } catch (err) {
    const { ok: _, ...fields } = failure(err)
    emit({ connected: false, ...fields })
    process.exitCode = 1
    return
  }
  emit({ connected: true })

  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
  for await (const text of lines) {
    if (text.trim() === '') {
      continue
    }
    let step
    try {
      step = JSON.parse(text)
      if (step === null || typeof step !== 'object' || Array.isArray(step)) {
        throw new Error('a step is a JSON object')
      }
    } catch (err) {
      emit({ ok: false, harnessError: `bad step ${text}: ${err.message}` })
      continue
    }
    notices = []
    let line
    try {
      line = await run(client, step)
    } catch (err) {
      line = err instanceof HarnessError ? { ok: false, harnessError: err.message } : failure(err)
    }
    // Notices arrive before the query's end; give any still in the socket's buffer a turn first.
    await new Promise((resolve) => setImmediate(resolve))
    if (notices.length > 0) {
      line.notices = notices
    }
    emit(line)
  }
  await client.end().catch(() => {})
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`)
  process.exit(3)
})
