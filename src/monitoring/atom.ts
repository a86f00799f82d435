import type { AlertView } from './alerts.ts';
import { sha256Hex } from '../sha256.ts';

// Characters XML 1.0 does not allow at all (a title copied from a damaged record may hold them).
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const text = (s: string) => s.replace(NOT_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
// In an attribute value a quotation mark ends it; in an element's text it is itself. The evidence is
// JSON, with quotation marks all through it: escaped there, they made a sixth of every feed's bytes.
const attribute = (s: string) => text(s).replace(/"/g, '&quot;');

/** A stable urn:uuid for a user's feed that says nothing about the user or the token. */
function feedUuid(userId: string): string {
  const h = sha256Hex(`derisk feed ${userId}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * A user's alerts as an Atom feed (RFC 4287): one entry per alert, newest first, its id the
 * alert's (a reader shows it once), its link to the evidence, the evidence itself as the content.
 * `base` makes the in-app links absolute.
 */
export function atomFeed(options: { userId: string; userName: string; self: string; base: string; alerts: AlertView[] }): string {
  const absolute = (link: string) => (/^https?:\/\//.test(link) ? link : `${options.base}${link.startsWith('/') ? '' : '/'}${link}`);
  const updated = options.alerts.reduce((max, a) => (a.created_at > max ? a.created_at : max), '1970-01-01T00:00:00.000Z');
  const entries = options.alerts.map(
    (a) => `  <entry>
    <id>urn:uuid:${a.id}</id>
    <title type="text">${text(a.title)}</title>
    <updated>${a.created_at}</updated>
    <published>${a.created_at}</published>
    <link rel="alternate" href="${attribute(absolute(a.link))}"/>
    <category term="${a.kind}" label="${a.kind.replace(/-/g, ' ')}"/>
    <summary type="text">${text(a.subject)}</summary>
    <content type="text">${text(JSON.stringify(a.evidence, null, 2))}</content>
  </entry>`,
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>urn:uuid:${feedUuid(options.userId)}</id>
  <title type="text">derisk alerts for ${text(options.userName)}</title>
  <subtitle type="text">New co-publications, list changes, verdicts that would change, knowledge-base changes and re-assessments due</subtitle>
  <updated>${updated}</updated>
  <author><name>derisk</name></author>
  <generator>derisk</generator>
  <link rel="self" type="application/atom+xml" href="${attribute(options.self)}"/>
${entries.join('\n')}
</feed>
`;
}
