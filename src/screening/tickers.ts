import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ListError } from './risk-list.ts';

/** Stock codes of listed companies, with the exchange listing each is read from. */
export const TICKERS_FILE = 'data/screening/tickers.json';

interface Exchange {
  id: string;
  name: string;
  suffixes: string[];
  digits: number;
  /** Codes written without their leading zeros ("700.HK") are the same code. */
  leadingZerosOptional?: boolean;
}

export interface Ticker {
  exchange: Exchange;
  code: string;
  company: string;
  country: string;
  source: string;
}

let table: { exchanges: Exchange[]; codes: Map<string, Ticker> } | null = null;

function load(): NonNullable<typeof table> {
  const doc = JSON.parse(readFileSync(fileURLToPath(new URL(`../../${TICKERS_FILE}`, import.meta.url)), 'utf8')) as { exchanges: Exchange[]; tickers: (Omit<Ticker, 'exchange'> & { exchange: string })[] };
  const byId = new Map(doc.exchanges.map((e) => [e.id, e]));
  const codes = new Map<string, Ticker>();
  doc.tickers.forEach((t, i) => {
    const exchange = byId.get(t.exchange);
    if (!exchange || !/^\d+$/.test(t.code) || t.code.length !== exchange.digits || !t.company || !t.country || !t.source) throw new ListError(`${TICKERS_FILE}: tickers[${i}] (${t.code}): needs an exchange of the table, a code of its digits, the company, its country and the source`);
    codes.set(`${exchange.id}:${t.code}`, { ...t, exchange });
  });
  return { exchanges: doc.exchanges, codes };
}

/**
 * The listed company a stock code names, written the ways people write one: "002415.SZ",
 * "0981.HK", "SH688981", "HKEX:0700"; null for anything else, or a code the table lacks.
 */
export function tickerOf(text: string): Ticker | null {
  table ??= load();
  const m = /^(?:(\d{1,6})\s*\.\s*([A-Z]{2})|([A-Z]{2})\s*(\d{6})|([A-Z]{3,4})\s*:\s*(\d{1,6}))$/i.exec(text.trim());
  if (!m) return null;
  const [code, mark] = m[1] ? [m[1], m[2]!.toUpperCase()] : m[3] ? [m[4]!, m[3].toUpperCase()] : [m[6]!, m[5]!.toUpperCase()];
  for (const e of table.exchanges) {
    if (!e.suffixes.includes(mark) && e.id !== mark) continue;
    if (code.length > e.digits || (code.length < e.digits && !e.leadingZerosOptional)) continue;
    const found = table.codes.get(`${e.id}:${code.padStart(e.digits, '0')}`);
    if (found) return found;
  }
  return null;
}
