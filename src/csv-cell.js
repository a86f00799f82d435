// One field of a CSV file meant for people and their spreadsheets, for the server's CSV and the web
// app's alike (plain JavaScript, so the browser loads this very file: /csv-cell.js).
//
// Text a spreadsheet would run as a formula (=, +, -, @, tab or carriage return first, OWASP's
// list) gets a leading apostrophe; numbers stay numbers. A bidirectional control (U+202E turns
// "fdp.exe" around), an invisible character (zero-width space, joiner, word joiner, byte order
// mark, Arabic letter mark) or another control character would make a cell read otherwise than it
// is, or hide a difference between two names: each is written as a visible marker ("⟨U+202E⟩"),
// as the report and the charts show them. By class, not by list, so none is left out: every
// control and format character (soft hyphen, the tag characters that smuggle ASCII, interlinear
// annotation), line and paragraph separators, variation selectors, and the characters that are
// drawn as nothing (combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian
// free variation selectors, braille blank). Tab, line feed and carriage return stay: CSV quotes them.
const HIDDEN = /(?![\t\n\r])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Default_Ignorable_Code_Point}\u2800]/gu;

/** `value` as one CSV field: shown as it is, never as a formula, quoted only where it must be. */
export function csvCell(value) {
  const shown = (value === null || value === undefined ? '' : String(value)).replace(HIDDEN, (c) => `⟨U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`);
  const safe = typeof value !== 'number' && /^[=+\-@\t\r]/.test(shown) && !/^[+-]?\d+(\.\d+)?$/.test(shown) ? `'${shown}` : shown;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
