import type { Group } from '@japa/runner/core'
import { SMTPServer } from 'smtp-server'
import { simpleParser, type ParsedMail } from 'mailparser'
import env from '#start/env'
import { eventually } from '#tests/helpers/eventually'

export interface ReceivedMail {
  envelopeTo: string[]
  mail: ParsedMail
}

/**
 * A real SMTP server on the port the app mails through, keeping every message.
 */
export async function startSmtpServer() {
  const received: ReceivedMail[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push({ envelopeTo: session.envelope.rcptTo.map((to) => to.address), mail })
          callback()
        })
        .catch(callback)
    },
  })
  await new Promise<void>((resolve) =>
    server.listen(Number(env.get('SMTP_PORT')), '127.0.0.1', resolve)
  )

  return {
    received,
    async waitFor(count: number, timeout = 15_000) {
      await eventually(
        () => received.length,
        (length) => length >= count,
        { timeout, what: `${count} mails` }
      )
      return received
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export type SmtpServer = Awaited<ReturnType<typeof startSmtpServer>>

/**
 * A real SMTP server for the group, started before its first test and
 * closed after its last, with no mail kept from one test to the next.
 */
export function smtpServerOfGroup(group: Group): () => SmtpServer {
  let smtp: SmtpServer
  group.setup(async () => {
    smtp = await startSmtpServer()
    return () => smtp.close()
  })
  group.each.setup(() => {
    smtp.received.length = 0
  })
  return () => smtp
}
