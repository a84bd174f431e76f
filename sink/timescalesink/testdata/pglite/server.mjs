// Serves an in-memory PGlite (PostgreSQL 17 in WASM) with the TimescaleDB
// extension over the PostgreSQL wire protocol, for timescalesink's DDL tests.
// usage: node server.mjs PORT
import { PGlite } from '@electric-sql/pglite'
import { timescaledb } from '@electric-sql/pglite/timescaledb'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

const port = Number(process.argv[2] || 5433)
const db = await PGlite.create({ extensions: { timescaledb } })
await db.exec('CREATE EXTENSION IF NOT EXISTS timescaledb')
const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1' })
await server.start()
console.log(`listening on 127.0.0.1:${port}`)
const stop = async () => { await server.stop(); await db.close(); process.exit(0) }
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
