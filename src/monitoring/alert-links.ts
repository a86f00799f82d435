// An alert carries two addresses: `link`, the page an officer opens (the web app's view of the case,
// entry or portfolio, or the work on the publisher's or patent office's site), and `api`, the JSON
// route machines read. The web app's pages are hash routes under "/" (src/web/app.js).

const part = encodeURIComponent;

export const casePage = (caseId: string) => `/#/cases/${part(caseId)}`;
export const kbEntryPage = (entryId: string) => `/#/kb/entry/${part(entryId)}`;
export const kbDiffPage = (entryId: string, from: number, to: number) => `/#/kb/diff/${part(entryId)}/${from}/${to}`;
/** An institution's co-publications with listed entities: its page, and the JSON route of the same portfolio. */
export const portfolioLinks = (rorId: string) => ({ link: `/#/screen/portfolio/${part(rorId)}`, api: `/api/portfolio?ror=${part(rorId)}` });
/** An uploaded export's co-publications with listed entities. */
export const exportLinks = (fileId: string) => ({ link: `/#/screen/export/${part(fileId)}`, api: `/api/portfolio?file=${part(fileId)}` });
/** A name's screening against the risk lists. */
export const screeningLinks = (name: string) => ({ link: `/#/screen/name/${part(name)}`, api: `/api/screen?q=${part(name)}` });

/**
 * An address of this server made absolute at `base` (DERISK_PUBLIC_URL, or for the feed the
 * address it was asked at); another site's address, or any address when there is no base, as it is.
 */
export function absoluteLink(base: string | null, link: string): string {
  if (base === null || !link.startsWith('/')) return link;
  return `${base.replace(/\/$/, '')}${link}`;
}
