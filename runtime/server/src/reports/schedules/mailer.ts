import nodemailer from 'nodemailer';

export interface MailAttachment {
  filename: string;
  path: string;
  contentType: string;
}

export interface Mail {
  to: string[];
  subject: string;
  text: string;
  attachments: MailAttachment[];
}

/** Sends the schedules' e-mails; absent when SMTP_URL is unset. */
export interface Mailer {
  send(mail: Mail): Promise<void>;
  close(): void;
}

/** A mailer over SMTP_URL (`smtp://user:pass@host:587`, `smtps://…`) with SMTP_FROM as the sender; undefined without a URL. */
export function createMailer(url: string | undefined, from: string): Mailer | undefined {
  if (!url) return undefined;
  const transport = nodemailer.createTransport(url);
  return {
    async send(mail) {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, attachments: mail.attachments });
    },
    close: () => transport.close(),
  };
}
