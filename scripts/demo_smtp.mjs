/**
 * The demo's mail catcher: a local SMTP server that accepts every message and
 * prints it, so the "Webhook disabled" notice adonis-exo sends can be seen.
 *
 *   DEMO_SMTP_PORT=2526 node scripts/demo_smtp.mjs
 *
 * Listens on 127.0.0.1 only, without authentication or TLS. The default port
 * is 2526, not 2525: the host app's test suite binds 2525 (tests/app/.env.test)
 * for its own catcher, and a demo there would break a test run or be broken by it.
 */
import { SMTPServer } from 'smtp-server'
import { simpleParser } from 'mailparser'

const port = Number(process.env.DEMO_SMTP_PORT ?? 2526)

function indent(text) {
  return text
    .trimEnd()
    .split(/\r?\n/)
    .map((line) => (line.trim() ? `    ${line}` : ''))
    .join('\n')
}

function print(session, mail) {
  const recipients = session.envelope.rcptTo.map((to) => to.address).join(', ')
  const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '?'
  console.log(`✉ to ${recipients}  subject ${mail.subject ?? '(none)'}  (from ${from})`)
  const body = mail.text ?? (typeof mail.html === 'string' ? mail.html : '')
  if (body.trim()) console.log(indent(body))
}

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  banner: 'adonis-exo demo mail catcher',
  logger: false,
  onData(stream, session, callback) {
    simpleParser(stream)
      .then((mail) => {
        print(session, mail)
        callback()
      })
      .catch((error) => {
        console.error(`could not read a mail: ${error.message}`)
        callback(error)
      })
  },
})

server.on('error', (error) => {
  // A port that is taken: stop, so the demo says so instead of mailing nowhere.
  if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
    console.error(`cannot listen on 127.0.0.1:${port}: ${error.message}`)
    process.exit(1)
  }
  console.error(`SMTP error: ${error.message}`)
})

server.listen(port, '127.0.0.1', () => {
  console.log(`listening on smtp://127.0.0.1:${port} (every mail is printed here)`)
})

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)))
}
