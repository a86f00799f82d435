// One field of a CSV file meant for people and their spreadsheets, for the server's CSV and the web
// app's alike (plain JavaScript, so the browser loads this very file: /csv-cell.js).
//
// Text a spreadsheet would run as a formula (=, +, -, @, tab or carriage return first, OWASP's
// list) gets a leading apostrophe; numbers stay numbers. A bidirectional control (U+202E turns
// "fdp.exe" around), an invisible character (zero-width space, joiner, word joiner, byte order
// mark, Arabic letter mark) or another control character would make a cell read otherwise than it
// is, or hide a difference between two names: each is written as a visible marker ("⟨U+202E⟩"),
// as the report and the charts show them.

const HIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

/** `value` as one CSV field: shown as it is, never as a formula, quoted only where it must be. */
export function csvCell(value) {
  const shown = (value === null || value === undefined ? '' : String(value)).replace(HIDDEN, (c) => `⟨U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`);
  const safe = typeof value !== 'number' && /^[=+\-@\t\r]/.test(shown) && !/^[+-]?\d+(\.\d+)?$/.test(shown) ? `'${shown}` : shown;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
