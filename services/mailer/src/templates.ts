import type { EmailTemplate } from '@ddns/jobs';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

type Template = (v: Record<string, string>) => { subject: string; lines: string[]; link?: string };

const TEMPLATES: Record<EmailTemplate, Template> = {
  'account-verify': (v) => ({
    subject: 'Confirm your e-mail address',
    lines: [
      `Someone (hopefully you) signed up with ${v.email ?? 'this address'}. Open the link below to confirm the address; you can log in afterwards.`,
      'The link is valid for 24 hours and works once. If this was not you, ignore this message: nothing happens.',
    ],
    link: v.link,
  }),
  'account-email-change': (v) => ({
    subject: 'Confirm your new e-mail address',
    lines: [
      `Open the link below to make ${v.email ?? 'this address'} the address of your account.`,
      'The link is valid for 24 hours and works once. If you did not ask for this, ignore this message.',
    ],
    link: v.link,
  }),
  'password-reset': (v) => ({
    subject: 'Reset your password',
    lines: [
      `Someone asked to reset the password of the account ${v.email ?? ''}. Open the link below to choose a new one.`,
      'The link is valid for one hour and works once; it also logs out every session. If this was not you, ignore this message.',
    ],
    link: v.link,
  }),
  'account-invite': (v) => ({
    subject: 'You are invited to create an account',
    lines: ['You are invited to create a dynamic DNS account. Open the link below to choose a password.'],
    link: v.link,
  }),
  'reclamation-token': (v) => ({
    subject: `Reclaim ${v.name ?? 'your domain'}`,
    lines: [
      `Someone asked to reclaim the domain ${v.name ?? ''}.`,
      `Reclamation token: ${v.token ?? ''}`,
      'It is valid for 24 hours and works once. If this was not you, ignore this message.',
    ],
  }),
  'verify-email': (v) => ({
    subject: `Confirm your e-mail address for ${v.name ?? 'your domain'}`,
    lines: [
      `Please confirm that this address belongs to the owner of ${v.name ?? ''} by opening the link below.`,
      'The link is valid for 24 hours and works once. If you did not ask for this, ignore this message.',
    ],
    link: v.link,
  }),
  'gateway-expiry-warning': (v) => ({
    subject: `${v.name ?? 'Your domain'} will be released`,
    lines: [
      `Your gateway ${v.name ?? ''} has not checked in since ${v.lastPing ?? 'a long time'}.`,
      `Unless it pings again, the name will be released on ${v.releaseAt ?? 'soon'}.`,
      'To keep the name, make sure the gateway is running and online; nothing else is needed.',
    ],
  }),
  'healthcheck-down': (v) => ({
    subject: `Health check "${v.check ?? ''}" is DOWN`,
    lines: [
      `The health check "${v.check ?? ''}" has not been pinged since ${v.lastPing ?? 'it was created'}.`,
    ],
  }),
  'healthcheck-up': (v) => ({
    subject: `Health check "${v.check ?? ''}" is up again`,
    lines: [`The health check "${v.check ?? ''}" was pinged again at ${v.lastPing ?? 'now'}.`],
  }),
  'zone-suspended': (v) => ({
    subject: `${v.name ?? 'Your domain'} is suspended: we no longer answer for it`,
    lines: [
      `Our DNS servers stopped answering for ${v.name ?? 'your domain'}, because the public DNS no longer shows that it is yours:`,
      v.detail ?? '',
      `To bring it back, delegate it to ${v.nameServers ?? 'our name servers'} at your registrar, or publish a TXT record ${v.challengeName ?? ''} with the value ${v.challengeValue ?? ''}.`,
      'We check again regularly; your records are kept and are served again once the check succeeds.',
      `If control is not restored, the name is released after ${v.releaseAt ?? '30 days'}: another account may then claim it, and this domain with all its records is deleted.`,
    ],
  }),
  'zone-released': (v) => ({
    subject: `${v.name ?? 'Your domain'} was released and claimed by another account`,
    lines: [
      `${v.name ?? 'Your domain'} had been suspended since ${v.suspendedAt || 'more than 30 days ago'}, because the public DNS no longer showed that it is yours, and control was not restored.`,
      'Another account has now claimed the name: your domain and all its records were deleted from this service.',
      'If the name is still yours, delegate it to our name servers or publish the TXT proof shown when you add it, and claim it again: an unproven claim by someone else does not block you for longer than a day.',
    ],
  }),
};

export function renderEmail(template: EmailTemplate, vars: Record<string, string>): RenderedEmail {
  const t = TEMPLATES[template];
  if (!t) throw new Error(`unknown e-mail template ${template}`);
  const { subject, lines, link } = t(vars);
  const footer = 'This message was sent by the ddns gateway registration service.';
  const text = [...lines, ...(link ? ['', link] : []), '', '-- ', footer].join('\n') + '\n';
  const html =
    `<!doctype html><html><head><meta charset="utf-8"><title>${esc(subject)}</title></head><body>` +
    lines.map((l) => `<p>${esc(l)}</p>`).join('') +
    (link ? `<p><a href="${esc(link)}">${esc(link)}</a></p>` : '') +
    `<hr><p><small>${esc(footer)}</small></p></body></html>`;
  return { subject, text, html };
}
