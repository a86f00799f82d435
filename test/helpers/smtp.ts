import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  raw: string;
  /** Header name (lower case) → value, continuation lines unfolded. */
  headers: Map<string, string>;
  body: string;
}

/** A local SMTP server that keeps what it receives; plain SMTP on the loopback address, no login. */
export class TestSmtp {
  readonly received: ReceivedMail[] = [];
  private server: SMTPServer | null = null;
  port = 0;

  async start(port = 0): Promise<string> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      disableReverseLookup: true,
      logger: false,
      onData: (stream, session, done) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
          const headers = new Map<string, string>();
          for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
            const i = line.indexOf(':');
            headers.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
          }
          let body = rest.join('\n\n');
          if (headers.get('content-transfer-encoding') === 'quoted-printable') body = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
          this.received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, headers, body });
          done();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
    return `smtp://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
